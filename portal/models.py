"""Every feature's models, imported in one place so that Alembic and create_app() see the whole schema."""

from portal.api.models import ApiKey, ClaimReference, IdempotentRequest  # noqa: F401
from portal.audit.models import AuditEntry  # noqa: F401
from portal.auth.models import Consent, RecoveryCode, User  # noqa: F401
from portal.claims.models import Claim, ClaimAward, ClaimEvent, ClaimLine  # noqa: F401
from portal.contests.models import (  # noqa: F401
    Contest,
    ContestChange,
    ContestEntry,
    ContestFrozenScore,
    ContestLeague,
    ContestScore,
    ContestWinner,
)
from portal.core.freshness import PersonVersion  # noqa: F401
from portal.fraud.models import ClaimRisk, FraudSettings  # noqa: F401
from portal.kpi.models import (  # noqa: F401
    KpiCounter,
    KpiPersonScope,
    KpiPlanRevision,
    KpiReportDelivery,
    KpiStage,
    KpiStageLog,
    KpiStageResult,
    KpiSubscription,
    KpiTarget,
)
from portal.leads.models import (  # noqa: F401
    Lead,
    LeadAttachment,
    LeadAward,
    LeadChannel,
    LeadEvent,
    LeadReminder,
    LeadRewardRule,
    LeadSettings,
)
from portal.ledger.models import Account, LedgerEntry, LedgerTransaction, LotAllocation, PointLot  # noqa: F401
from portal.news.models import NewsItem, NewsRead  # noqa: F401
from portal.notifications.models import (  # noqa: F401
    MailPreference,
    MarketingConsent,
    Notification,
    NotificationCounter,
    UnsubscribeUse,
)
from portal.ops.models import ExportJob, JobRun, OutboxMessage, WorkerHeartbeat  # noqa: F401
from portal.ops.ratelimits import RateLimitCounter  # noqa: F401
from portal.partners.models import (  # noqa: F401
    CompanyMembership,
    GroupMembership,
    Invitation,
    PartnerCompany,
    PartnerGroup,
)
from portal.payments.models import Payment, WebhookEvent  # noqa: F401
from portal.plans.models import PlanActual, PlanDefault, SalesPlan  # noqa: F401
from portal.products.models import Product  # noqa: F401
from portal.program.models import ProgramSettings  # noqa: F401
from portal.recruitment.models import RecruitmentCampaign, RecruitmentInvitee, RecruitmentOptOut  # noqa: F401
from portal.referrals.models import Referral, ReferralCode, ReferralSettings  # noqa: F401
from portal.rules.models import EarningRule  # noqa: F401
from portal.shop.models import (  # noqa: F401
    CartItem,
    DeliveryProfile,
    Order,
    OrderEvent,
    OrderLine,
    Prize,
    PrizeCategory,
    StockMovement,
    TaxProfile,
)
from portal.training.models import (  # noqa: F401
    AttemptGrant,
    Choice,
    Course,
    CourseCompletion,
    CourseItem,
    LessonView,
    Question,
    QuizAttempt,
)

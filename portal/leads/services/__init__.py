"""Leads: registering, the conflict check, qualifying with its reward, protection and its end, and
attributing sales to leads. One module per job; this package's names are the leads API.
"""

from .attribution import (
    attributable_leads,
    attribution_window,
    award_sale_share,
    claim_lead_share,
    claw_back_sale_share,
    expected_share,
    in_window,
    matching_lead,
    resolve_claim_lead,
    sale_share,
    share_key,
)
from .lists import can_view, company_leads, count_awaiting_review, my_leads, review_queue
from .protection import expire_protection, extend_protection, request_extension, send_protection_reminders
from .qualification import close_lead, max_points_per_lead, qualified_reward, qualify_lead, reject_lead
from .registration import LeadData, conflicting_leads, existing_customer_sales, register_lead, similar_leads
from .settings import (
    MAX_AMOUNT_KOPECKS,
    channels,
    get_lead_settings,
    save_channel,
    save_reward_rule,
    update_lead_settings,
)

__all__ = [
    "LeadData",
    "MAX_AMOUNT_KOPECKS",
    "attributable_leads",
    "attribution_window",
    "award_sale_share",
    "can_view",
    "claim_lead_share",
    "expected_share",
    "matching_lead",
    "channels",
    "claw_back_sale_share",
    "close_lead",
    "company_leads",
    "conflicting_leads",
    "count_awaiting_review",
    "existing_customer_sales",
    "expire_protection",
    "extend_protection",
    "get_lead_settings",
    "in_window",
    "max_points_per_lead",
    "my_leads",
    "qualified_reward",
    "qualify_lead",
    "register_lead",
    "reject_lead",
    "request_extension",
    "resolve_claim_lead",
    "review_queue",
    "sale_share",
    "save_channel",
    "save_reward_rule",
    "send_protection_reminders",
    "share_key",
    "similar_leads",
    "update_lead_settings",
]

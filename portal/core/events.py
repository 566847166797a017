"""Domain events that other features react to inside the same database transaction.

A service that changes something other features keep aggregates of (contest scores, KPI actuals,
lead attribution) sends one of these signals *after* its own rows are flushed. Receivers run
synchronously in the sender's transaction: if the request rolls back, so does every aggregate.
Receivers must only flush, never commit, and must not send mail directly.

Connect receivers in a feature's `events.py` (imported by `create_app`), for example::

    from portal.core import events

    @events.claim_approved.connect
    def _count_sale(claim, **extra): ...
"""

from blinker import Namespace

_signals = Namespace()

#: A claim moved to approved and its points were posted. Sender: the Claim. Extra: actor.
claim_approved = _signals.signal("claim-approved")
#: A claim was sent for review (its status flushed). Sender: the Claim. Extra: actor. Receivers never refuse it.
claim_submitted = _signals.signal("claim-submitted")
#: A reviewer is about to approve a submitted claim. Sender: the Claim. Extra: actor, bulk (one of many ticked in
#: the queue). A receiver refuses the approval by raising DomainError (the fraud hold: portal/fraud).
claim_approving = _signals.signal("claim-approving")
#: An approved claim was reversed and its points clawed back. Sender: the Claim. Extra: actor.
claim_reversed = _signals.signal("claim-reversed")
#: A participant passed a course for the first time. Sender: the CourseCompletion.
course_passed = _signals.signal("course-passed")
#: A new participant account was created (self-registration or invitation). Sender: the User.
participant_registered = _signals.signal("participant-registered")
#: A person confirmed their e-mail address (the first use of the confirmation link). Sender: the User.
email_confirmed = _signals.signal("email-confirmed")
#: The program team approved a company that applied (pending or rejected before). Sender: the PartnerCompany.
company_approved = _signals.signal("company-approved")
#: A participant moved from one company to another. Sender: the User. Extra: old_company_id, new_company_id.
participant_moved = _signals.signal("participant-moved")
#: A person's audience changed (partner admin or program team), from the day `effective` (today, the program's
#: calendar). Sender: the User, the new span flushed. Extra: old_audience, new_audience, effective, actor.
audience_changed = _signals.signal("audience-changed")
#: A group's membership changed: companies added (today or dated back), a membership's start moved back, a company
#: removed. Sender: the PartnerGroup, its membership rows flushed. Extra: company_id (None when several companies
#: changed at once), company_ids (every company that changed), since (the earliest program-calendar day whose
#: counting changes: the first day of the new or earlier-started membership, the day of a removal), actor.
group_membership_changed = _signals.signal("group-membership-changed")
#: Stripe's signed webhook said a card payment succeeded or failed (first delivery of the event only).
#: Sender: the payment intent's id (str). The shop pays or keeps waiting the order it belongs to.
card_payment_succeeded = _signals.signal("card-payment-succeeded")
card_payment_failed = _signals.signal("card-payment-failed")
#: A lead was qualified by the program (once per lead). Sender: the Lead. Extra: actor.
lead_qualified = _signals.signal("lead-qualified")
#: The ledger wrote a transaction (points earned, spent, expired, adjusted or reversed). Sender: the
#: LedgerTransaction, its entries flushed. Receivers keep program totals (KPI points issued and redeemed).
points_posted = _signals.signal("points-posted")

"""The program settings an administrator keeps on the settings page: the point value and expiry, the claim
window and bonuses, card co-payment and the prize tax; the audit log records what changed."""

from portal.audit import services as audit
from portal.auth.models import User
from portal.extensions import db
from portal.program.models import ProgramSettings
from portal.program.services import get_settings, update_settings

SETTING_NAMES = ("point_value_kopecks", "points_expire_months", "claim_window_days", "first_sale_bonus",
                 "birthday_bonus", "copay_enabled", "copay_max_share_percent", "payment_timeout_minutes",
                 "tax_rate_percent", "tax_details_required")


def save_program_settings(actor: User, *, point_value_kopecks: int, points_expire_months: int | None,
                          claim_window_days: int | None, first_sale_bonus: int, birthday_bonus: int,
                          copay_enabled: bool, copay_max_share_percent: int | None,
                          payment_timeout_minutes: int | None, tax_rate_percent: int | None,
                          tax_details_required: bool) -> ProgramSettings:
    """Save the settings; a co-payment share, payment timeout or tax rate left empty (None) keeps its value.
    One audit entry lists the settings that changed (none when nothing did)."""
    before = audit.snapshot(get_settings(), SETTING_NAMES)
    settings = update_settings(point_value_kopecks=point_value_kopecks, points_expire_months=points_expire_months,
                               claim_window_days=claim_window_days, first_sale_bonus=first_sale_bonus,
                               birthday_bonus=birthday_bonus)
    settings.copay_enabled = copay_enabled
    settings.tax_details_required = tax_details_required
    for name, value in (("copay_max_share_percent", copay_max_share_percent),
                        ("payment_timeout_minutes", payment_timeout_minutes), ("tax_rate_percent", tax_rate_percent)):
        if value is not None:
            setattr(settings, name, value)
    if changes := audit.diff(before, audit.snapshot(settings, SETTING_NAMES)):
        audit.record(audit.SETTINGS_CHANGED, actor=actor, object_type="program_settings", object_id=1,
                     changes=changes)
    db.session.flush()
    return settings

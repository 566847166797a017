"""Fraud signals on sales claims: each submitted claim gets a risk score (0-100) made of explained signals, the
review queue sorts and filters on it, claims above the hold line need two reviewers, and a reviewer's "fraud"
decision feeds later scores. Claims never import this package: it reacts to claims' domain events.
"""


def init_fraud(app) -> None:
    """Scoring on submission (after a request's commit; scans fingerprinted as they are stored), the approval
    check, the queue's risk filter, the pages and the claim page's block."""
    from flask_babel import lazy_gettext as _l

    import portal.fraud.events  # noqa: F401 - scores submitted claims, checks approvals
    from portal.auth.models import STAFF_ROLES
    from portal.claims.exports import SALES_COLUMNS, ExtraColumns
    from portal.claims.scans import SCAN_STORED
    from portal.claims.services.lists import QUEUE_REFINERS
    from portal.core.navigation import add_nav_item
    from portal.fraud import services
    from portal.fraud.events import score_after_commit, score_committed
    from portal.fraud.explain import explain
    from portal.fraud.fingerprints import take_ahead
    from portal.fraud.forms import FraudDecisionForm
    from portal.fraud.views import bp

    app.register_blueprint(bp)
    app.before_request(score_after_commit)
    app.after_request(score_committed)
    if take_ahead not in SCAN_STORED:
        SCAN_STORED.append(take_ahead)
    if services.refine_queue not in QUEUE_REFINERS:
        QUEUE_REFINERS.append(services.refine_queue)
    if not any(extra.values is services.risk_cells for extra in SALES_COLUMNS):
        SALES_COLUMNS.append(ExtraColumns(header=services.risk_header, values=services.risk_cells))
    app.jinja_env.globals.update(risk_explain=explain, risk_settings=services.get_fraud_settings,
                                 fraud_decision_form=FraudDecisionForm)
    add_nav_item("fraud.settings", _l("Fraud checks"), STAFF_ROLES, prefix="fraud.", group="settings")

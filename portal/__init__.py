"""The partner loyalty portal."""

import functools
import logging
import sqlite3

from flask import Flask, current_app, g, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.config import Config
from portal.core.localized import install_template_gettext
from portal.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass theirs here); nothing else happens at start-up."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    refuse_development_secrets_in_production(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from portal.core.write_gate import GatedConnection

        # Wait for a writer instead of failing at once when two requests write together; writers take turns at
        # a gate that lets the next one in at the holder's commit (portal/core/write_gate.py).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 30, "factory": GatedConnection}, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        }
    logging.basicConfig(level=logging.INFO)

    from portal.core.fields import BoundedIntegerConverter
    from portal.core.json_body import PortalJSONProvider
    from portal.core.requests import PortalRequest

    app.url_map.converters["int"] = BoundedIntegerConverter
    if app.config["PROXY_FIX_X_FOR"] or app.config["PROXY_FIX_X_PROTO"] or app.config["PROXY_FIX_X_HOST"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N trusted proxies, the client address is the Nth from the right in X-Forwarded-For;
        # without this setting the header is ignored (anyone can send it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"],
                                x_proto=app.config["PROXY_FIX_X_PROTO"], x_host=app.config["PROXY_FIX_X_HOST"])
    app.request_class = PortalRequest
    app.json = PortalJSONProvider(app)  # an unreadable body answers 400, not 500; Cyrillic goes out as UTF-8
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="../translations")
    install_template_gettext(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    import portal.ops.ratelimits  # noqa: F401 - registers the database:// storage of the rate limits

    limiter.init_app(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to open this page.")
    login_manager.login_message_category = "info"

    import portal.models  # noqa: F401 - the whole schema, for relationships and migrations
    from portal import worker
    from portal.auth import delivery
    from portal.ops import hooks as ops

    # Lower floors call what higher ones provide through hooks (portal/core/hooks.py), connected here, once:
    # send_email -> the outbox -> the delivery rule and the worker's queue; export_response -> export jobs -> worker.
    ops.init_app(app)
    delivery.init_app(app)
    worker.init_app(app)
    from portal.notifications import mailing as notification_mail

    notification_mail.init_app(app)  # send_email asks the recipients' mail settings
    from portal.api.views import bp as integrations_bp
    from portal.auth.views import bp as auth_bp
    from portal.claims.views import bp as claims_bp
    from portal.contests.views import bp as contests_bp
    from portal.groups.views import bp as groups_bp
    from portal.home.views import bp as home_bp
    from portal.leads.views import bp as leads_bp
    from portal.ledger.views import bp as ledger_bp
    from portal.ops.views import bp as ops_bp
    from portal.partners.views import bp as partners_bp
    from portal.payments.views import bp as payments_bp
    from portal.plans.views import bp as plans_bp
    from portal.products.views import bp as products_bp
    from portal.rules.views import bp as rules_bp
    from portal.shop.views import bp as shop_bp
    from portal.training.views import bp as training_bp

    app.register_blueprint(home_bp)
    from portal.home.cache import watch_what_the_cards_show

    watch_what_the_cards_show()
    app.register_blueprint(auth_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(products_bp)
    app.register_blueprint(rules_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(shop_bp)
    import portal.shop.events  # noqa: F401 - orders follow their card payments (the Stripe webhook's events)
    app.register_blueprint(payments_bp)
    app.register_blueprint(leads_bp)
    import portal.leads.events  # noqa: F401 - lead shares on approved and reversed sales
    app.register_blueprint(groups_bp)
    app.register_blueprint(plans_bp)
    import portal.plans.events  # noqa: F401 - keeps plan actuals up to date with approved claims
    app.register_blueprint(ops_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(contests_bp)
    import portal.contests.events  # noqa: F401 - contest scores follow claims, courses and leads
    from portal.audit.views import bp as audit_bp

    app.register_blueprint(audit_bp)
    import portal.audit.events  # noqa: F401 - approvals and reversals go into the audit log
    from portal.kpi.views import bp as kpi_bp

    app.register_blueprint(kpi_bp)
    import portal.kpi.events  # noqa: F401 - KPI counters follow registrations, sales, courses, leads, points
    from portal.fraud import init_fraud

    init_fraud(app)  # risk scores of submitted claims, the two-reviewer hold
    from portal.notifications.views import bp as notifications_bp

    app.register_blueprint(notifications_bp)
    import portal.notifications.events  # noqa: F401 - points credited and expired are notified
    from portal.news.views import bp as news_bp

    app.register_blueprint(news_bp)
    from portal.referrals.views import bp as referrals_bp

    app.register_blueprint(referrals_bp)
    import portal.referrals.events  # noqa: F401 - the referral bonus on the invitee's first approved sale
    from portal.recruitment import links as recruitment_links
    from portal.recruitment.views import bp as recruitment_bp

    app.register_blueprint(recruitment_bp)
    recruitment_links.init_app(app)  # the registration page follows a campaign's invitation link
    import portal.recruitment.events  # noqa: F401 - the funnel follows registrations, approvals, sales and courses
    register_navigation()

    from portal.core.formatting import register_filters

    register_filters(app)
    register_error_pages(app)
    from portal.core.headers import init_headers

    init_headers(app)
    app.teardown_appcontext(_check_mail_committed)
    from portal.api import init_api

    init_api(app)  # after the error pages: /api answers problem+json, the pages keep their HTML
    app.context_processor(template_globals)

    from portal.cli import register_cli

    register_cli(app)
    return app


class InsecureConfiguration(RuntimeError):
    pass


def refuse_development_secrets_in_production(config) -> None:
    """Production is every run that is neither TESTING nor PORTAL_ENV=development; it must not start with the
    development defaults of SECRET_KEY or the Stripe secrets (anyone could sign sessions or webhooks)."""
    from portal.config import DEVELOPMENT_SECRETS

    if config.get("TESTING") or config.get("PORTAL_ENV") == "development":
        return
    weak = [name for name, defaults in DEVELOPMENT_SECRETS.items()
            if not config.get(name) or config.get(name) in defaults]
    if weak:
        raise InsecureConfiguration(
            f"Refusing to start in production with development values of {', '.join(weak)}: set them in the "
            "environment, or PORTAL_ENV=development for a local demo (see README, 'Sign-in security')."
        )


def _check_mail_committed(error=None) -> None:
    """Mail is written in the transaction it belongs to: mail left uncommitted at the end is lost."""
    from portal.ops.outbox import uncommitted_mail

    lost = uncommitted_mail()
    if lost and error is None:
        logging.getLogger("portal.mail").error("Mail %s was written after the last commit and is lost: call "
                                               "send_email before db.session.commit()", lost)
        if current_app.testing:
            raise RuntimeError(f"mail {lost} written after the last commit would be lost")


@login_manager.user_loader
def load_user(user_id: str):
    raw_id, _sep, token = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = _load_signed_in(int(raw_id))
    # A deactivated account, or a cookie issued before a password change, no longer signs anyone in.
    if user is None or not user.active or user.session_token != token:
        return None
    return user


@functools.cache
def _signed_in_statement():
    """Built once: building the statement costs more than running it."""
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import aliased, joinedload

    from portal.auth.models import User
    from portal.core.freshness import PROGRAM, PersonVersion
    from portal.notifications.models import NotificationCounter

    program = aliased(PersonVersion)
    return (select(User,
                   select(NotificationCounter.unread).where(NotificationCounter.user_id == User.id)
                   .scalar_subquery(),
                   select(PersonVersion.version).where(PersonVersion.user_id == User.id).scalar_subquery(),
                   select(program.version).where(program.user_id == PROGRAM).scalar_subquery())
            .options(joinedload(User.company)).where(User.id == bindparam("user_id")))


def _load_signed_in(user_id: int):
    """The person, their company, their unread notifications and the freshness versions of their cached pages,
    in one statement: every signed-in page needs them."""
    row = db.session.execute(_signed_in_statement(), {"user_id": user_id}).first()
    if row is None:
        return None
    user, unread, version, program_version = row
    g.unread_notifications = unread or 0
    g.freshness = (version or 0, program_version or 0)
    return user


def select_locale() -> str:
    from flask import has_request_context

    from portal.auth.models import LOCALES

    if not has_request_context():
        return "ru"  # CLI commands and jobs; mail picks the recipient's language with force_locale
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LOCALES) or "ru"  # partner systems say Accept-Language
    if current_user and current_user.is_authenticated:
        return current_user.locale
    chosen = session.get("locale") or request.cookies.get("locale")
    return chosen if chosen in LOCALES else "ru"


def register_navigation() -> None:
    from portal.auth.models import PARTNER_ADMIN, PARTNER_ROLES, STAFF_ROLES
    from portal.core.navigation import add_nav_item

    add_nav_item("claims.index", _l("My sales"), PARTNER_ROLES, prefix="claims.")
    add_nav_item("training.index", _l("Training"), PARTNER_ROLES, prefix="training.")
    add_nav_item("ledger.statement", _l("My points"), PARTNER_ROLES, prefix="ledger.statement")
    add_nav_item("shop.index", _l("Shop"), PARTNER_ROLES, prefix="shop.index")
    add_nav_item("shop.orders", _l("My orders"), PARTNER_ROLES, prefix="shop.order")
    add_nav_item("leads.index", _l("Leads"), PARTNER_ROLES, prefix="leads.")
    add_nav_item("contests.index", _l("Contests"), PARTNER_ROLES, prefix="contests.")
    add_nav_item("partners.team", _l("My team"), (PARTNER_ADMIN,), prefix="partners.team")
    # The staff console: the daily queues at the top, everything else in dropdowns that fit 1366 px.
    add_nav_item("claims.queue", _l("Sales"), STAFF_ROLES, prefix="claims.")
    add_nav_item("shop.fulfilment", _l("Orders"), STAFF_ROLES, prefix="shop.fulfilment")
    add_nav_item("partners.people", _l("Participants"), STAFF_ROLES, prefix="partners.p", group="partners")
    add_nav_item("partners.companies", _l("Companies"), STAFF_ROLES, prefix="partners.compan", group="partners")
    add_nav_item("rules.index", _l("Earning rules"), STAFF_ROLES, prefix="rules.", group="program")
    add_nav_item("training.manage", _l("Training"), STAFF_ROLES, prefix="training.", group="program")
    add_nav_item("products.index", _l("Products"), STAFF_ROLES, prefix="products.", group="catalogue")
    add_nav_item("shop.prizes", _l("Prizes and stock"), STAFF_ROLES, prefix="shop.prize", group="catalogue")
    add_nav_item("ledger.totals", _l("Points"), STAFF_ROLES, prefix="ledger.totals", group="reports")
    add_nav_item("shop.tax_register", _l("Prize tax register"), STAFF_ROLES, prefix="shop.tax_register",
                 group="reports")
    add_nav_item("ledger.settings", _l("Program settings"), STAFF_ROLES, prefix="ledger.settings", group="settings")
    add_nav_item("leads.queue", _l("Leads"), STAFF_ROLES, prefix="leads.")
    add_nav_item("groups.index", _l("Groups"), STAFF_ROLES, prefix="groups.", group="partners")
    add_nav_item("plans.manage", _l("Plans"), STAFF_ROLES, prefix="plans.", group="program")
    add_nav_item("integrations.keys", _l("Integrations"), (PARTNER_ADMIN, *STAFF_ROLES), prefix="integrations.",
                 group="settings")
    add_nav_item("contests.manage", _l("Contests"), STAFF_ROLES, prefix="contests.", group="program")
    add_nav_item("audit.index", _l("Audit log"), STAFF_ROLES, prefix="audit.", group="settings")
    add_nav_item("kpi.plan_grid", _l("KPI plan and stages"), STAFF_ROLES, prefix="kpi.plan", group="program")
    add_nav_item("kpi.index", _l("KPI: plan and actual"), STAFF_ROLES, prefix="kpi.index", group="reports")
    add_nav_item("kpi.budget_page", _l("Prize fund budget"), STAFF_ROLES, prefix="kpi.budget", group="reports")
    add_nav_item("news.manage", _l("News"), STAFF_ROLES, prefix="news.", group="program")
    add_nav_item("referrals.console", _l("Referrals"), STAFF_ROLES, prefix="referrals.console", group="partners")
    add_nav_item("recruitment.index", _l("Recruitment"), STAFF_ROLES, prefix="recruitment.", group="partners")


def template_globals() -> dict:
    from flask_babel import get_locale

    from portal.core.forms import EmptyForm
    from portal.core.navigation import main_menu, nav_items

    return {
        "program_name": Config.PROGRAM_NAME,
        "current_locale": str(get_locale()),
        "language_form": EmptyForm(),
        "nav_items": nav_items,
        "main_menu": main_menu,
    }


def register_error_pages(app: Flask) -> None:
    messages = {
        400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
        403: (_l("Access denied"), _l("This page is not available for your role.")),
        404: (_l("Page not found"), _l("There is no such page, or it is not available to you.")),
        405: (_l("Not allowed"), _l("This action cannot be done this way.")),
        413: (_l("File too large"), _l("The upload is larger than the portal accepts.")),
        429: (_l("Too many attempts"), _l("You have tried too often. Wait a few minutes and try again.")),
        500: (_l("Something went wrong"), _l("We could not complete the request. Nothing was saved; try again later.")),
    }

    def render(code: int, detail=None):
        title, text = messages[code]
        return render_template("error.html", code=code, title=title, text=detail or text), code

    for code in messages:
        if code in (413, 500):
            continue
        app.register_error_handler(code, lambda error, code=code: render(code))

    @app.errorhandler(413)
    def too_large(error):
        # The body was refused unread, so the page's own forms cannot be built from it: back to the form,
        # with the reason where the person looks (the API answers problem+json, see portal/api).
        from flask import flash, redirect

        limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        flash(str(_l("The file is too large: the portal accepts at most %(n)s MB.", n=limit)), "danger")
        back = request.referrer or ""
        if not back.startswith(request.host_url) or request.method == "GET":
            back = request.path if request.method != "GET" else url_for("home.index")
        return redirect(back, 303)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render(400, _l("The form has expired. Open the page again and resend it."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render(500)


@event.listens_for(Engine, "connect")
def _sqlite_connection_setup(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, let readers and a writer work together, fold Cyrillic case."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # 64 MiB of page cache per connection instead of SQLite's 2 MiB: on a large program a search or a statement
    # reads thousands of rows scattered over a file of gigabytes (allocated as pages are read, not up front).
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.close()
    dbapi_connection.create_function("portal_lower", 1, lambda s: s.lower() if isinstance(s, str) else s,
                                     deterministic=True)

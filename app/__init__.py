"""Sanaly Urpaq: the application factory."""
import logging
import os

from babel.numbers import NumberPattern, parse_pattern
from flask import Flask, g, has_request_context, jsonify, render_template, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config
from app.core import localize
from app.core.cache import init_cache
from app.core.connections import keep_postgresql_connections
from app.core.http import BoundedIntConverter, kept_query
from app.core.security import init_security
from app.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale
from app.i18n import compile_catalogs, install_template_gettext

# The factory is the one place that knows every feature, and it imports them only when an app is
# built (the imports inside the functions below): importing any module of the package, say
# `app.core.clock`, runs this file first, and must not load every layer above it.


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask application: configuration, extensions, blueprints, CLI, error pages."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(config.Defaults)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("app").setLevel(app.config.get("LOG_LEVEL", "INFO"))

    config.make_private(app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["TRUSTED_PROXIES"]:
        # Each trusted proxy appends one hop to X-Forwarded-For/-Proto/-Host; take the client's from there.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["int"] = BoundedIntConverter
    db.init_app(app)
    with app.app_context():
        keep_postgresql_connections(db.engine)
    migrate.init_app(app, db, directory=os.path.join(config.PROJECT_ROOT, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    _limits_in_views_only(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    try:
        compile_catalogs()
    except OSError:   # a read-only install: the catalogs were compiled when it was built
        logging.getLogger("app").warning("translation catalogs could not be compiled")
    init_cache(app)
    _init_login(app)
    init_security(app)

    # Registration: every table, every feature's blueprint, gamification's listeners, the CLI.
    from app import models  # noqa: F401  (register every table with SQLAlchemy)
    from app.audit.routes import bp as audit_bp
    from app.brainring.routes import bp as ring_bp
    from app.certificates.routes import bp as certificates_bp
    from app.club.routes import bp as club_bp
    from app.core.routes import bp as core_bp
    from app.contests.routes import bp as contests_bp
    from app.coverage.routes import api as api_bp
    from app.coverage.routes import bp as coverage_bp
    from app.courses.routes import bp as courses_bp
    from app.gamification.routes import bp as game_bp
    from app.gamification import listeners  # noqa: F401  (gamification keeps its facts from the features' events)
    from app.home.routes import bp as home_bp
    from app.quizzes.routes import bp as quizzes_bp
    from app.people.routes import admin_bp as people_admin_bp
    from app.people.routes import auth_bp
    from app.plan.deliverable_routes import bp as deliverables_bp
    from app.plan.routes import bp as plan_bp
    from app.privacy.routes import bp as privacy_bp
    from app.filings.routes import bp as filings_bp
    from app.reports.routes import bp as reports_bp
    from app.risks.routes import bp as risks_bp
    from app.surveys.routes import bp as surveys_bp
    from app.authoring import routes as _authoring_routes  # noqa: F401  (attach the views to the blueprint)
    from app.authoring import contest_routes as _contest_routes  # noqa: F401
    from app.authoring import bank_routes as _bank_routes  # noqa: F401  (survey and brain-ring editors)
    from app.authoring import new_routes as _new_routes  # noqa: F401  (new courses and new quizzes)
    from app.authoring import bp as authoring_bp
    from app.authoring.plan_routes import bp as planyear_bp
    from app.jobs.routes import bp as jobs_bp
    from app.mail.routes import bp as mail_bp
    from app.coverage import jobs as _coverage_jobs  # noqa: F401  (register the job handlers)
    from app.jobs import files as _file_jobs  # noqa: F401
    from app.mail import jobs as _mail_jobs  # noqa: F401
    from app.people.oidc import init_sso  # the university's identity provider, when one is configured
    from app.privacy.cli import register_privacy_commands
    from app.privacy import jobs as _privacy_jobs  # noqa: F401  (register the job handlers)

    for blueprint in (core_bp, home_bp, auth_bp, people_admin_bp, plan_bp, audit_bp, courses_bp, certificates_bp,
                      quizzes_bp, contests_bp, coverage_bp, api_bp, game_bp, surveys_bp, reports_bp, club_bp, ring_bp,
                      jobs_bp, mail_bp, privacy_bp, filings_bp, authoring_bp, deliverables_bp, risks_bp,
                      planyear_bp):
        app.register_blueprint(blueprint)
    init_sso(app)

    csrf.exempt(api_bp)  # token-authenticated, read-only, no cookies

    from app.cli import register_commands

    register_commands(app)
    register_privacy_commands(app)
    if os.environ.get("SANALY_QUERY_COUNT_HEADER") or app.config.get("QUERY_COUNT_HEADER"):
        _count_queries(app)
    _register_error_pages(app)
    _register_template_helpers(app)
    return app


def _init_login(app: Flask) -> None:
    # registration: the user loader (see the note at the top)
    from app.gamification.service import signed_in_person, signed_in_statement
    from app.privacy.notice import owed_version_expression

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    statements = []   # built at the first request, once every model is mapped

    @login_manager.user_loader
    def load_user(user_id: str):
        """Load the person named by the cookie, if its session token is still current."""
        ident, _sep, token = user_id.partition(":")
        if not ident.isdigit():
            return None
        if not statements:
            statements.append(signed_in_statement(owed_notice=owed_version_expression()))
        user = signed_in_person(int(ident), statements[0])
        if user is None or not user.active or user.session_token != token:
            return None
        g.person_language = user.language   # for the locale, which may be asked after a commit expired the row
        return user


def _limits_in_views_only(app: Flask) -> None:
    """Check rate limits only where a view has one.

    Every limit of the platform is a view's own (`per_address` in app/core/http.py), checked by the view's
    wrapper as it runs. Flask-Limiter also walks its limits before every request for default, application and
    blueprint limits; the platform sets none, so that walk (a twentieth of an answer save's time) is taken out.
    Should such a limit ever be configured, the walk stays."""
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def _count_queries(app: Flask) -> None:
    """For benchmarks: answer every request with X-Query-Count, the number of SQL statements it ran."""
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_args):
        if has_request_context():
            g.query_count = g.get("query_count", 0) + 1

    @app.after_request
    def header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: (lambda: _("Bad request"), lambda: _("The request could not be understood.")),
        403: (lambda: _("Not allowed"), lambda: _("You do not have access to this page.")),
        404: (lambda: _("Page not found"), lambda: _("There is nothing at this address.")),
        413: (lambda: _("File too large"), lambda: _("The upload is larger than the platform accepts.")),
        429: (lambda: _("Too many requests"), lambda: _("Please wait a minute and try again.")),
        500: (lambda: _("Something went wrong"),
              lambda: _("The error has been logged. Please try again in a moment.")),
    }

    def handler(code):
        def render(error):
            title, text = messages[code]
            if request.path.startswith("/api/"):   # the API answers every error as its description says: JSON
                return jsonify(error=text()), code
            return render_template("errors/error.html", code=code, title=title(), text=text()), code
        return render

    for code in messages:
        app.register_error_handler(code, handler(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/error.html", code=400, title=_("The form has expired"),
            text=_("Please go back, reload the page and submit the form again."),
        ), 400


def _register_template_helpers(app: Flask) -> None:
    # Registration: what the features lend the templates (see the note at the top).
    from app.certificates.service import display_title
    from app.coverage.service import closed_note, kind_hint, kind_label, status_label
    from app.gamification.service import notification_text, unread_count

    built: dict[tuple, str] = {}

    @app.template_global("url_for")
    def url_for_in_templates(endpoint: str, **values) -> str:
        """url_for, except that a link naming only an endpoint (or a static file) is built once per script root.

        Every page's menu and footer ask for the same thirty such links; building each costs as much as a
        small template. Links with arguments, relative endpoints, `_external` and the like are built each time."""
        if (values and (endpoint != "static" or list(values) != ["filename"])) or endpoint[:1] == "." \
                or not has_request_context():
            return app.url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        link = built.get(key)
        if link is None:
            link = app.url_for(endpoint, **values)
            if len(built) < 2000:
                built[key] = link
        return link

    patterns: dict[int, NumberPattern] = {}

    @app.template_filter("num")
    def format_number(value, places: int = 2) -> str:
        """A number in the reader's language, with at most `places` decimals and no trailing zeros:
        1.78333 → 1.78 (en) or 1,78 (ru, kk); 20000 → 20,000 (en) or 20 000 (ru, kk).

        What babel.numbers.format_decimal does, without parsing the pattern and the locale again for every
        number: a results table or a chart formats hundreds of them."""
        pattern = patterns.get(places)
        if pattern is None:
            pattern = patterns[places] = parse_pattern("#,##0" + ("." + "#" * places if places else ""))
        return pattern.apply(round(float(value), places), get_locale() or "en")

    app.add_template_global(kept_query)
    app.add_template_global(status_label)
    app.add_template_global(kind_label)
    app.add_template_global(kind_hint)
    app.add_template_global(closed_note)
    app.add_template_filter(localize.tr, "tr")
    app.add_template_filter(localize.format_day, "day")
    app.add_template_filter(localize.format_moment, "moment")
    app.add_template_filter(localize.format_clock, "clock")
    app.add_template_filter(localize.local_input, "local_input")
    app.add_template_global(localize.zone_label)
    app.add_template_global(localize.zone_city)
    app.add_template_filter(localize.localized_question, "localized")
    app.add_template_global(localize.localized_checks)
    app.add_template_global(localize.is_translated)
    app.add_template_global(localize.wave_title)
    app.add_template_global(localize.localized_criteria)
    app.add_template_global(localize.localized_places)
    app.add_template_global(display_title, "certificate_title")
    app.add_template_global(notification_text)

    @app.context_processor
    def inject_globals():
        unread = 0
        if current_user.is_authenticated:   # counted when the person was loaded, in the same statement
            unread = getattr(current_user, "unread", None)
            if unread is None:
                unread = unread_count(current_user.id)
        return {"languages": app.config["LANGUAGES"], "current_locale": str(get_locale()), "unread": unread}

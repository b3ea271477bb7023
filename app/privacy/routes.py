"""Privacy pages: the notice and consent, a person's own data, the access log (for the data protection
officer), erasure and retention (for the ACS), and the register of processing."""
import logging
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.http import date_arg, kept_query, page_arg, safe_next
from app.extensions import db
from app.jobs import service as jobs
from app.people.access import admin_required, role_required
from app.people.forms import role_label
from app.people.models import DPO, User
from app.privacy import access_log, data_copy, erasure, notice, retention
from app.privacy.forms import ActionForm, ErasureRequestForm, NoticeForm
from app.privacy.models import ErasureRequest
from app.privacy.providers import FEATURES

logger = logging.getLogger(__name__)
bp = Blueprint("privacy", __name__)

# Pages a person who still owes consent may open: the notice itself, signing out, the language switch.
CONSENT_FREE = {"static", "auth.logout", "auth.login", "core.language", "core.health"}


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _owed_by_current_user() -> int | None:
    """The notice version the signed-in person has yet to consent to (None: none owed).

    Loaded with the person in one statement (app/__init__.py); people made elsewhere (tests) are asked directly."""
    owed = getattr(current_user, "owed_notice", False)
    return notice.owed_version(current_user.id) if owed is False else owed


@bp.before_app_request
def ask_for_consent():
    """Send a signed-in person to the privacy notice until they consent to its current version."""
    endpoint = request.endpoint or ""
    if (endpoint in CONSENT_FREE or endpoint.startswith("privacy.") or endpoint.startswith("api.")
            or not current_user.is_authenticated):
        return None
    if _owed_by_current_user() is None:
        return None
    return redirect(url_for("privacy.consent", next=request.full_path.rstrip("?") if request.method == "GET" else None))


@bp.after_app_request
def log_looks(response):
    """Write a successful opening of a watched page (a person, a case, an export with names) to the access log."""
    if (request.endpoint in access_log.WATCHED and response.status_code < 400
            and current_user.is_authenticated):
        access_log.record_watched(request.endpoint, request.view_args or {}, current_user.id, request.method,
                                  request.path, now())
        db.session.commit()
    return response


def _kind_label(kind: str) -> str:
    return {access_log.PERSON: _("A person's admin page"), access_log.REPORT: _("A report case"),
            access_log.REPORT_FILE: _("A report's image"), access_log.EXPORT: _("An export with names"),
            access_log.DATA_COPY: _("A person's data copy")}.get(kind, kind)


def _seen_by(role: str) -> str:
    special = {"self": _("the person"), "public": _("everyone"), "public by code": _("anyone with the code"),
               "public without names": _("everyone, without names")}
    return special.get(role) or role_label(role)


# --- the notice and consent ----------------------------------------------------------------------

@bp.route("/privacy")
def notice_page():
    """Show the current privacy notice to anyone."""
    current = notice.current_notice()
    return render_template("privacy/notice.html", notice=current,
                           text=notice.notice_text(current, str(get_locale())) if current else "")


@bp.route("/privacy/consent", methods=["GET", "POST"])
@login_required
def consent():
    """Show the current notice and record the person's consent to it (the version the person owes, known with
    the person: a consent reads no notice)."""
    target = safe_next(request.values.get("next"))
    form = ActionForm()
    if form.validate_on_submit():
        owed = _owed_by_current_user()
        if owed is not None:
            notice.give_consent(current_user.id, owed, now())
            db.session.commit()
            flash(_("Thank you. Your consent is recorded."), "success")
        return redirect(target)
    current = notice.current_notice()
    if current is None:
        return redirect(target)
    asked_before = bool(notice.consents_of(current_user.id))
    return render_template("privacy/consent.html", notice=current, form=form, asked_before=asked_before,
                           text=notice.notice_text(current, str(get_locale())), next=request.values.get("next", ""))


@bp.route("/privacy/register")
def register():
    """List what personal data the platform keeps, why, for how long and who sees it."""
    return render_template("privacy/register.html", rows=retention.register(), seen_by=_seen_by)


# --- a person's own data --------------------------------------------------------------------------

def _summary(user: User):
    def render(data):
        return render_template("privacy/copy.html", data=data, person=user, features=FEATURES, made_at=now())
    return render


def _zip_response(user: User) -> Response:
    content = data_copy.build_zip(user.id, now(), _uploads(), _summary(user))
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="my-data-{user.id}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/privacy/mine")
@login_required
def mine():
    """Show what the person can do with their data: download a copy, see consents, ask for erasure."""
    pending = db.session.execute(db.select(ErasureRequest).where(
        ErasureRequest.user_id == current_user.id).order_by(ErasureRequest.id.desc())).scalars().first()
    return render_template("privacy/mine.html", consents=notice.consents_of(current_user.id), latest=pending,
                           form=ErasureRequestForm(), action=ActionForm())


@bp.route("/privacy/mine.zip")
@login_required
def my_copy():
    """Send the person a ZIP of everything the platform holds about them (and nobody else)."""
    access_log.record_access(current_user.id, access_log.DATA_COPY, f"user:{current_user.id}",
                             subject_user_id=current_user.id, path=request.path, at=now())
    db.session.commit()
    return _zip_response(current_user)


@bp.route("/privacy/mine/job", methods=["POST"])
@login_required
def copy_job():
    """Make the person's data copy in the background (for large accounts) and follow it on the job's page."""
    if not ActionForm().validate_on_submit():
        abort(400)

    job = jobs.start("data_copy", started_by=current_user, params={"user_id": current_user.id})
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/privacy/mine/erase", methods=["POST"])
@login_required
def ask_erasure():
    """Record the person's request that the ACS erase their data."""
    form = ErasureRequestForm()
    if not form.validate_on_submit():
        abort(400)
    if not confirmed():
        return confirmation_page(
            question=_("Ask the ACS to erase your personal data?"),
            consequence=_("once the ACS carries it out, your account is closed for good: your name, e-mail, texts and files are deleted, and your results stay in the figures without your name."),
            button=_("Send the request"), back=url_for(".mine"))
    erasure.request_erasure(current_user, form.reason.data or "", now())
    db.session.commit()
    flash(_("Your request is sent to the ACS."), "success")
    return redirect(url_for(".mine"))


# --- the data protection officer ---------------------------------------------------------------------

@bp.route("/privacy/access-log")
@role_required(DPO)
def access_log_page():
    """Show who opened whose personal data, newest first, with filters and pages."""
    problems = []
    try:
        day_from = date_arg("from")
    except ValueError:
        day_from, problems = None, problems + ["from"]
    try:
        day_to = date_arg("to")
    except ValueError:
        day_to, problems = None, problems + ["to"]
    filters = {"viewer": request.args.get("viewer", "")[:100], "kind": request.args.get("kind", ""),
               "subject": request.args.get("subject", "")[:100]}
    result = access_log.search_log(**filters, day_from=day_from, day_to=day_to, page=page_arg(),
                                   per_page=current_app.config.get("PAGE_SIZE", 50))
    return render_template("privacy/access_log.html", result=result, filters=filters, problems=problems,
                           kinds=access_log.KINDS, args=kept_query("page"),
                           kind_label=_kind_label)


# --- the ACS ----------------------------------------------------------------------------------------

@bp.route("/admin/privacy/", methods=["GET", "POST"])
@admin_required
def admin_index():
    """Erasure requests waiting, retention periods (editable), the retention job's last runs."""
    form = ActionForm()
    errors = {}
    typed = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        for kind in retention.KINDS:
            raw = request.form.get(f"days-{kind.key}", "").strip()
            typed[kind.key] = raw
            if not raw.isdigit() or not retention.MIN_DAYS <= int(raw) <= retention.MAX_DAYS:
                errors[kind.key] = _("Enter a whole number of days from %(low)d to %(high)d.",
                                     low=retention.MIN_DAYS, high=retention.MAX_DAYS)
        if not errors:
            for kind in retention.KINDS:
                retention.set_period(kind.key, int(typed[kind.key]), current_user.id, now())
            db.session.commit()
            flash(_("Retention periods saved."), "success")
            return redirect(url_for(".admin_index"))
    return render_template("privacy/admin.html", form=form, requests=erasure.pending_requests(),
                           periods=retention.periods(), kinds=retention.KINDS, errors=errors, typed=typed,
                           runs=retention.recent_runs(), current=notice.current_notice()), 400 if errors else 200


@bp.route("/admin/privacy/notice", methods=["GET", "POST"])
@admin_required
def edit_notice():
    """Publish a new version of the privacy notice (everyone is asked to consent again)."""
    current = notice.current_notice()
    form = NoticeForm(obj=current)
    if form.validate_on_submit():
        if not confirmed():
            return confirmation_page(
                question=_("Publish a new version of the privacy notice?"),
                consequence=_("everyone is asked to read it and consent again at their next page."),
                button=_("Publish"), back=url_for(".edit_notice"))
        published = notice.publish_notice({"en": form.text_en.data, "kk": form.text_kk.data, "ru": form.text_ru.data},
                                          current_user.id, now())
        db.session.commit()
        flash(_("Version %(n)d of the notice is published.", n=published.version), "success")
        return redirect(url_for(".admin_index"))
    return render_template("privacy/edit_notice.html", form=form, current=current)


@bp.route("/admin/privacy/people/<int:user_id>")
@admin_required
def person(user_id):
    """Show what the platform holds about one person (written to the access log)."""
    user = db.get_or_404(User, user_id)
    access_log.record_access(current_user.id, access_log.DATA_COPY, f"user:{user.id}", subject_user_id=user.id,
                             path=request.path, at=now())
    db.session.commit()
    return render_template("privacy/person.html", person=user, data=data_copy.collect(user.id), features=FEATURES,
                           erased=erasure.is_erased(user.id), form=ActionForm())


@bp.route("/admin/privacy/people/<int:user_id>.zip")
@admin_required
def person_copy(user_id):
    """Send the ACS a person's data copy, to hand to them on request (written to the access log)."""
    user = db.get_or_404(User, user_id)
    access_log.record_access(current_user.id, access_log.DATA_COPY, f"user:{user.id}", subject_user_id=user.id,
                             path=request.path, at=now())
    db.session.commit()
    return _zip_response(user)


@bp.route("/admin/privacy/people/<int:user_id>/erase", methods=["POST"])
@admin_required
def erase(user_id):
    """Erase a person's data, keeping what the figures rest on."""
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot erase your own account."), "error")
        return redirect(url_for(".person", user_id=user.id))
    if not confirmed():
        return confirmation_page(
            question=_("Erase the personal data of %(name)s?", name=user.full_name),
            consequence=_("their name, e-mail, texts and files are deleted for good and they can no longer sign in; participation, scores and certificates stay under a pseudonymous id."),
            button=_("Erase"), back=url_for(".person", user_id=user.id))
    erasure.erase_person(user, current_user, now(), _uploads())
    db.session.commit()
    flash(_("The person's data is erased."), "success")
    return redirect(url_for(".admin_index"))


@bp.route("/admin/privacy/requests/<int:request_id>/decline", methods=["POST"])
@admin_required
def decline(request_id):
    """Decline an erasure request."""
    item = db.get_or_404(ErasureRequest, request_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    erasure.decline_request(item, current_user, now())
    db.session.commit()
    flash(_("The request is declined."), "info")
    return redirect(url_for(".admin_index"))

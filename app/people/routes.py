"""Sign-in pages, and the admin pages for people, rosters, groups and headcounts."""
import logging
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select, update

from app.core.clock import utcnow
from app.core.confirm import confirmation_page, confirmed
from app.core.db_helpers import commit_without_waiting_for_the_disk
from app.core.http import address_key, kept_query, page_arg, safe_next
from app.extensions import db
from app.jobs import service as jobs
from app.people import oidc, service, sso, throttle
from app.people.access import admin_required
from app.people.forms import (CuratorsForm, HeadcountForm, LoginForm, PeopleFilterForm, PersonForm, SetPasswordForm,
                              UploadForm, options, role_label)
from app.people.models import CURATOR, ROLES, Faculty, Group, Headcount, StaffUnit, User, UserRole

logger = logging.getLogger(__name__)
auth_bp = Blueprint("auth", __name__)
admin_bp = Blueprint("people_admin", __name__, url_prefix="/admin")
BACKGROUND_ROSTER_ROWS = 2000   # a longer roster is imported by a background job with a progress bar


# --- sign-in ------------------------------------------------------------------

def _sso_status() -> bool | None:
    """None when single sign-on is not configured, else whether the identity provider answers."""
    link = oidc.provider()
    return None if link is None else link.available()


def _login_page(form, status: int = 200, sso_problem: str | None = None):
    return render_template("people/login.html", form=form, sso=_sso_status(), sso_problem=sso_problem), status


def _sign_in(user: User, *, remember: bool, method: str) -> None:
    """Start a fresh session for the person (nothing from before carries over) and note the sign-in."""
    session.clear()
    user_id = user.id   # read before the commit, which expires the row
    login_user(user, remember=remember)
    session["stay"] = remember
    noted = {"last_login_at": utcnow()}
    chosen = request.cookies.get("language")
    if not user.language and chosen in current_app.config["LANGUAGES"]:
        noted["language"] = chosen   # a language picked before signing in is the person's choice
    # One UPDATE of these columns: flushing the loaded person instead walks every relationship of theirs (a
    # sign-in's largest cost after the password check); the commit expires the row either way.
    db.session.execute(update(User).where(User.id == user_id).values(**noted)
                       .execution_options(synchronize_session=False))
    commit_without_waiting_for_the_disk()   # nothing here is worth a worker's wait for the disk (db_helpers)
    logger.info("user %s signed in (%s)", user_id, method)


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign a person in, throttling repeated failures."""
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = service.normalise_email(form.email.data)
        address = address_key()
        if throttle.is_throttled(current_app.config, email, address):
            logger.warning("sign-in throttled for %s", email)
            form.password.errors.append(
                _("Too many failed attempts. Wait a few minutes before trying again."))
            return _login_page(form, 429)
        user = service.authenticate(email, form.password.data)
        if user is None:
            throttle.register_failure(current_app.config, email, address)
            form.password.errors.append(_("The e-mail or the password is not right."))
            return _login_page(form)
        throttle.clear_account(current_app.config, email)
        _sign_in(user, remember=bool(form.remember.data), method="password")
        return redirect(safe_next(request.args.get("next")))
    return _login_page(form)


@auth_bp.route("/login/sso")
def sso_start():
    """Send the person to the university's identity provider to sign in."""
    link = oidc.provider()
    if link is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    if throttle.is_address_throttled(current_app.config, address_key()):
        return _login_page(LoginForm(formdata=None), 429,
                           _("Too many failed attempts. Wait a few minutes before trying again."))
    session["sso_next"] = safe_next(request.args.get("next"))
    try:
        return link.redirect_to_sign_in(url_for("auth.sso_callback", _external=True))
    except oidc.ProviderUnavailable:
        return _login_page(LoginForm(formdata=None), 503, _sso_unavailable())


@auth_bp.route("/login/sso/callback")
def sso_callback():
    """Finish signing in with the university account: check the answer, match the account, sign in."""
    link = oidc.provider()
    if link is None:
        abort(404)
    form = LoginForm(formdata=None)
    address = address_key()
    if throttle.is_address_throttled(current_app.config, address):
        return _login_page(form, 429, _("Too many failed attempts. Wait a few minutes before trying again."))
    next_page = session.pop("sso_next", None)
    try:
        claims = link.claims_from_callback()
    except oidc.ProviderUnavailable:
        return _login_page(form, 503, _sso_unavailable())
    except oidc.CallbackRefused as refused:
        throttle.register_address_failure(current_app.config, address)
        logger.warning("single sign-on callback refused: %s", refused)
        if request.args.get("error") == "access_denied":
            return _login_page(form, 403, _("The sign-in with the university account was cancelled."))
        return _login_page(form, 400, _("The sign-in with the university account could not be completed: it "
                                        "took too long or was started in another window. Please try again."))
    outcome = sso.account_for_claims(claims, link.settings)
    if outcome.user is None:
        db.session.rollback()
        throttle.register_address_failure(current_app.config, address)
        return _login_page(form, 403, outcome.problem)
    _sign_in(outcome.user, remember=False, method="single sign-on")
    if outcome.created:
        flash(_("Welcome! Your student account has been created from your university account."), "success")
    return redirect(safe_next(next_page))


def _sso_unavailable() -> str:
    return _("Sign-in with the university account is unavailable right now. Sign in with your e-mail and "
             "password, or try again in a few minutes.")


@auth_bp.route("/logout", methods=["POST"])
def logout():
    """Sign the person out everywhere: a copied or replayed session cookie stops working too."""
    if current_user.is_authenticated:
        current_user.end_all_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token):
    """Let a person choose a password through a one-time link."""
    user = service.user_for_password_token(token, current_app.config["SECRET_KEY"],
                                           current_app.config["PASSWORD_LINK_MAX_AGE"])
    if user is None:
        return render_template("people/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        problem = service.password_problem(form.password.data, user.email)
        if problem:
            form.password.errors.append(problem)
        else:
            service.set_password(user, form.password.data)
            logout_user()
            session.clear()
            login_user(user)
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("home.home"))
    return render_template("people/set_password.html", form=form, person=user)


# --- admin: people ------------------------------------------------------------

def _group_choices():
    rows = db.session.execute(select(Group.id, Group.code).order_by(Group.code)).all()
    return [(gid, code) for gid, code in rows]


@admin_bp.route("/people")
@admin_required
def people():
    """List people with search and filters."""
    form = PeopleFilterForm(request.args)
    form.faculty.choices = options([(0, _("All faculties")), *db.session.execute(
        select(Faculty.id, Faculty.name).order_by(Faculty.name)).all()])
    form.group.choices = options([(0, _("All groups")), *_group_choices()])
    form.role.choices = options([("", _("All roles")), *((r, role_label(r)) for r in ROLES)])
    valid = form.validate()
    page = page_arg()
    per_page = current_app.config["PAGE_SIZE"]
    people, total = service.search_people(
        text=form.q.data or "" if valid else "",
        faculty_id=form.faculty.data or None if valid else None,
        group_id=form.group.data or None if valid else None,
        role=form.role.data or None if valid else None,
        page=page, per_page=per_page,
    )
    pages = max((total + per_page - 1) // per_page, 1)
    args = kept_query("page")
    return render_template("people/admin_people.html", form=form, people=people, total=total,
                           page=page, pages=pages, args=args, role_label=role_label)


@admin_bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@admin_required
def person(user_id):
    """Edit a person's name, roles, group and whether the account is active."""
    user = db.get_or_404(User, user_id)
    form = PersonForm(obj=user, group_choices=_group_choices())
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.group_id.data = user.group_id or 0
    if form.validate_on_submit():
        roles = set(form.roles.data or [])
        if user.id == current_user.id and "admin" not in roles:
            form.roles.errors.append(_("You cannot remove your own admin role."))
        elif user.id == current_user.id and not form.active.data:
            form.active.errors.append(_("You cannot deactivate your own account."))
        elif user.erased and form.active.data:
            form.active.errors.append(_("This person's data has been erased: the account cannot be used again."))
        elif user.active and not form.active.data and not confirmed():
            return confirmation_page(
                question=_("Deactivate the account of %(name)s?", name=user.full_name),
                consequence=_("every open session of theirs ends at once, and they cannot sign in until the account is activated again."),
                button=_("Deactivate"), back=url_for(".person", user_id=user.id))
        else:
            user.full_name = " ".join(form.full_name.data.split())
            user.group_id = form.group_id.data or None
            service.change_roles(user, roles, current_user)
            service.set_active(user, form.active.data, current_user)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".person", user_id=user.id))
    link = session.pop("password_link", None) if request.method == "GET" else None
    return render_template("people/admin_person.html", person=user, form=form, link=link)


@admin_bp.route("/people/<int:user_id>/password-link", methods=["POST"])
@admin_required
def password_link(user_id):
    """Make a one-time link with which the person sets their password."""
    user = db.get_or_404(User, user_id)
    if user.erased:
        flash(_("This person's data has been erased: the account cannot be used again."), "error")
        return redirect(url_for(".person", user_id=user.id))
    if not user.active:
        flash(_("Activate the account first."), "error")
        return redirect(url_for(".person", user_id=user.id))
    token = service.make_password_token(user, current_app.config["SECRET_KEY"])
    session["password_link"] = url_for("auth.set_password", token=token, _external=True)
    logger.info("password link made for user %s by %s", user.id, current_user.id)
    return redirect(url_for(".person", user_id=user.id))


# --- admin: imports -----------------------------------------------------------

def _read_upload(form: UploadForm) -> str | None:
    raw = form.file.data.read(5 * 1024 * 1024 + 1)
    if len(raw) > 5 * 1024 * 1024:
        form.file.errors.append(_("The file is larger than 5 MB."))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append(_("Save the file as CSV in UTF-8 encoding."))
        return None


@admin_bp.route("/roster", methods=["GET", "POST"])
@admin_required
def roster():
    """Import people from a roster CSV file."""
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        text = _read_upload(form)
        if text is not None and not form.dry_run.data and (
                form.invite.data or text.count("\n") > BACKGROUND_ROSTER_ROWS):
            job = jobs.start("roster_import", started_by=current_user, params={"invite": bool(form.invite.data)},
                             input_text=text)
            return redirect(url_for("jobs.show", job_id=job.id))
        if text is not None:
            report = service.import_roster(text, actor=current_user, dry_run=form.dry_run.data)
    return render_template("people/admin_import.html", form=form, report=report, kind="roster",
                           background_rows=BACKGROUND_ROSTER_ROWS)


@admin_bp.route("/headcounts", methods=["GET", "POST"])
@admin_required
def headcounts():
    """Import official headcounts of groups and staff units from a CSV file."""
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        text = _read_upload(form)
        if text is not None:
            report = service.import_headcounts(text, actor=current_user, today=date.today(),
                                               dry_run=form.dry_run.data)
    return render_template("people/admin_import.html", form=form, report=report, kind="headcounts")


# --- admin: faculties and groups -----------------------------------------------

@admin_bp.route("/groups")
@admin_required
def groups():
    """List faculties with their groups, curators, headcounts and registered students."""
    faculties = db.session.execute(
        select(Faculty).order_by(Faculty.name)
        .options(db.selectinload(Faculty.groups).selectinload(Group.curators))
    ).scalars().all()
    registered = dict(db.session.execute(
        select(User.group_id, func.count()).where(User.group_id.is_not(None)).group_by(User.group_id)).all())
    counts = service.current_headcounts(date.today())
    units = db.session.execute(select(StaffUnit).order_by(StaffUnit.name)).scalars().all()
    staff = dict(db.session.execute(
        select(User.staff_unit_id, func.count()).where(User.staff_unit_id.is_not(None))
        .group_by(User.staff_unit_id)).all())
    return render_template("people/admin_groups.html", faculties=faculties, registered=registered,
                           counts=counts, units=units, staff=staff)


@admin_bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@admin_required
def group(group_id):
    """Edit a group's curators and record its official headcount."""
    grp = db.get_or_404(Group, group_id)
    curators_form = CuratorsForm(prefix="c")
    candidates = db.session.execute(
        select(User).join(UserRole).where(UserRole.role == CURATOR).order_by(User.full_name)
    ).scalars().all()
    curators_form.curators.choices = options((u.id, f"{u.full_name} <{u.email}>") for u in candidates)
    headcount_form = HeadcountForm(prefix="h")
    if request.method == "GET":
        curators_form.curators.data = [u.id for u in grp.curators]
        headcount_form.effective_from.data = date.today()
    which = request.form.get("form")
    if which == "curators" and curators_form.validate_on_submit():
        chosen = set(curators_form.curators.data or [])
        grp.curators = [u for u in candidates if u.id in chosen]
        db.session.commit()
        logger.info("curators of group %s set by %s: %s", grp.id, current_user.id, sorted(chosen))
        flash(_("Curators saved."), "success")
        return redirect(url_for(".group", group_id=grp.id))
    if request.form.get("form") == "headcount" and headcount_form.validate_on_submit():
        service.record_headcount(grp, headcount_form.value.data, headcount_form.effective_from.data, current_user)
        db.session.commit()
        logger.info("headcount of group %s set to %s by %s", grp.id, headcount_form.value.data, current_user.id)
        flash(_("Headcount recorded."), "success")
        return redirect(url_for(".group", group_id=grp.id))
    history = db.session.execute(
        select(Headcount).where(Headcount.group_id == grp.id)
        .order_by(Headcount.effective_from.desc(), Headcount.id.desc())
    ).scalars().all()
    students = db.session.execute(
        select(User).where(User.group_id == grp.id).order_by(User.full_name)).scalars().all()
    return render_template("people/admin_group.html", group=grp, curators_form=curators_form,
                           headcount_form=headcount_form, history=history, students=students)


@auth_bp.route("/account")
@login_required
def account():
    """The account page now lives on the profile."""
    return redirect(url_for("game.profile"))

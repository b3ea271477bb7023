"""Survey pages: answering (students), published results (everyone), publishing and moderation (the ACS)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.localize import wave_title
from app.extensions import db
from app.people.access import admin_required
from app.surveys import service
from app.surveys.models import PENDING, RELEASED, WITHHELD, Survey, SurveyWave

bp = Blueprint("surveys", __name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


def _survey_or_404(slug: str) -> Survey:
    survey = db.session.execute(select(Survey).where(Survey.slug == slug, Survey.retired.is_(False))).scalar_one_or_none()
    if survey is None:
        abort(404)
    return survey


def _wave_or_404(survey: Survey, key: str) -> SurveyWave:
    wave = next((w for w in survey.waves if w.key == key), None)
    if wave is None:
        abort(404)
    return wave


@bp.route("/surveys/")
def index():
    """Open surveys (for students) and published results (for everyone)."""
    today = now().date()
    surveys = db.session.execute(select(Survey).where(Survey.retired.is_(False)).order_by(Survey.title)).scalars().all()
    open_now = {survey.id: wave for survey, wave in service.open_waves(today)}
    rows = []
    for survey in surveys:
        wave = open_now.get(survey.id)
        answered = bool(wave and current_user.is_authenticated and service.has_answered(wave, current_user.id))
        rows.append((survey, wave, answered, [w for w in survey.waves if w.published_at is not None]))
    return render_template("surveys/index.html", rows=rows)


@bp.route("/surveys/<slug>/", methods=["GET", "POST"])
@login_required
def answer(slug):
    """The survey form of the open wave; one response per person per wave."""
    survey = _survey_or_404(slug)
    today = now().date()
    wave = service.open_wave(survey, today)
    form = ActionForm()
    answers, problems = {}, {}
    if wave is not None and service.has_answered(wave, current_user.id):
        return render_template("surveys/answer.html", survey=survey, wave=wave, done=True, form=form)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if wave is None:
            flash(_("This survey is not taking answers now."), "error")
            return redirect(url_for(".index"))
        answers, texts, problems = service.parse_answers(survey, request.form)
        if problems:
            flash(_("Some questions need an answer; they are marked below. Nothing was saved yet."), "error")
        else:
            try:
                service.respond(current_user, wave, answers, texts, today)
            except service.SurveyError as error:
                flash(str(error), "error")
                return redirect(url_for(".answer", slug=slug))
            flash(_("Thank you: your answers are saved, without your name."), "success")
            return redirect(url_for(".answer", slug=slug))
    return render_template("surveys/answer.html", survey=survey, wave=wave, done=False, form=form,
                           allowed=service.may_answer(current_user), answers=answers, problems=problems,
                           typed=request.form)


@bp.route("/surveys/<slug>/results/<key>")
def results(slug, key):
    """A wave's published results; the ACS may preview them before publishing."""
    survey = _survey_or_404(slug)
    wave = _wave_or_404(survey, key)
    preview = wave.published_at is None
    if preview and not (current_user.is_authenticated and current_user.is_admin):
        abort(404)
    return render_template("surveys/results.html", survey=survey, wave=wave, results=service.cached_results(wave),
                           preview=preview, form=ActionForm(), min_cell=service.MIN_CELL,
                           batch=service.BATCH)


# --- the ACS -------------------------------------------------------------------------------------

@bp.route("/admin/surveys/")
@admin_required
def admin_index():
    """Every survey's waves with their number of respondents (a count, never who)."""
    surveys = db.session.execute(select(Survey).where(Survey.retired.is_(False)).order_by(Survey.title)).scalars().all()
    counts = {w.id: service.respondents(w) for s in surveys for w in s.waves}
    return render_template("surveys/admin_index.html", surveys=surveys, counts=counts, today=now().date(),
                           form=ActionForm())


@bp.route("/admin/surveys/<slug>/<key>/publish", methods=["POST"])
@admin_required
def publish(slug, key):
    wave = _wave_or_404(_survey_or_404(slug), key)
    if not ActionForm().validate_on_submit():
        abort(400)
    if wave.published_at is None and not confirmed():
        return confirmation_page(
            question=_("Publish the results of “%(wave)s”?", wave=wave_title(wave)),
            consequence=_("the wave closes and takes no more answers, and its results become public."),
            button=_("Publish the results"), back=url_for(".results", slug=slug, key=key))
    service.publish(wave, current_user, now())
    flash(_("The results of “%(wave)s” are published; the wave takes no more answers.", wave=wave_title(wave)), "success")
    return redirect(url_for(".results", slug=slug, key=key))


@bp.route("/admin/surveys/<slug>/<key>/texts", methods=["GET", "POST"])
@admin_required
def texts(slug, key):
    """Read free-text answers and release them for publication, or withhold them."""
    survey = _survey_or_404(slug)
    wave = _wave_or_404(survey, key)
    form = ActionForm()
    state = request.args.get("state", PENDING)
    if state not in (PENDING, RELEASED, WITHHELD):
        state = PENDING
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        target = request.form.get("to", "")
        changed = service.moderate(wave, request.form.getlist("text"), target, current_user, now())
        if changed:
            flash(ngettext_moved(changed, target), "success")
        else:
            flash(_("Tick at least one answer first."), "error")
        return redirect(url_for(".texts", slug=slug, key=key, state=state))
    return render_template("surveys/texts.html", survey=survey, wave=wave, state=state,
                           texts=service.texts_to_moderate(wave, state), form=form)


def ngettext_moved(count: int, state: str) -> str:
    from flask_babel import ngettext

    if state == RELEASED:
        return ngettext("%(num)d answer released.", "%(num)d answers released.", count)
    if state == WITHHELD:
        return ngettext("%(num)d answer withheld.", "%(num)d answers withheld.", count)
    return ngettext("%(num)d answer back to moderation.", "%(num)d answers back to moderation.", count)

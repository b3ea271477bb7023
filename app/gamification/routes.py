"""The profile (XP, level, badges, streak, certificates), leaderboards, competitions and notifications."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.certificates import service as certificates
from app.core.clock import now
from app.core.security import shared_page
from app.extensions import db
from app.gamification import service
from app.people.forms import role_label

bp = Blueprint("game", __name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token."""


@bp.route("/profile")
@login_required
def profile():
    """Show the person's XP, level, streak, badges (earned and locked) and certificates."""
    moment = now()
    service.evaluate_badges(current_user, moment)
    db.session.commit()
    xp = service.xp_total(current_user.id)
    earned, locked = service.badges_of(current_user.id)
    return render_template("gamification/profile.html", xp=xp, level=service.level_for(xp),
                           streak=service.streak_weeks(current_user.id, moment.date()), earned=earned, locked=locked,
                           certificates=certificates.for_user(current_user.id), form=ActionForm(), role_label=role_label)


@bp.route("/profile/leaderboard", methods=["POST"])
@login_required
def leaderboard_choice():
    """Choose how (or whether) one appears on leaderboards; no other field can be set here."""
    if not ActionForm().validate_on_submit():
        abort(400)
    choice = request.form.get("display")
    if choice in ("name", "initials", "hidden"):
        current_user.leaderboard_display = choice
        db.session.commit()
        service.clear_standings()
        flash(_("Saved."), "success")
    return redirect(url_for(".profile"))


@bp.route("/leaderboard")
@login_required
def leaderboard():
    """Individual XP within the group and faculty, and the group and faculty competitions of the season."""
    moment = now().date()
    seasons = service.seasons(moment)
    season = next((s for s in seasons if s["key"] == request.args.get("season")), None) or service.season_for(moment)
    standings = service.competition(season, moment) if season else {"groups": [], "faculties": [], "frozen": False, "started": False}
    group = current_user.group
    faculty = current_user.faculty
    return render_template(
        "gamification/leaderboard.html", season=season, seasons=seasons, standings=standings, group=group,
        faculty=faculty, group_board=service.leaderboard("group", group.id) if group else [],
        faculty_board=service.leaderboard("faculty", faculty.id) if faculty else [],
        my_group=service.neighbours(standings["groups"], group.id) if group else None,
        my_faculty=service.neighbours(standings["faculties"], faculty.id) if faculty else None)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """List the person's notifications; mark them read."""
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        service.mark_all_read(current_user.id, now())
        return redirect(url_for(".notifications"))
    return render_template("gamification/notifications.html", items=service.notifications_for(current_user.id),
                           form=ActionForm())


@bp.route("/badges/<key>.svg")
@shared_page
def badge_image(key):
    """Draw a badge as SVG from its colour and symbol."""
    badge = next((b for b in service.game().get("badges", []) if b["key"] == key), None)
    if badge is None:
        abort(404)
    svg = render_template("gamification/badge.svg", badge=badge, locked=request.args.get("locked") == "1")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

"""Brain ring pages: the host's projector screen, the players' answer pads, and the short-polled fragments.

Live updates are short polls (about one a second) of small HTML fragments: a request takes a few
milliseconds and returns 204 when nothing changed, so 150 phones never hold a sync worker. The
full pages include the same fragment templates, so the first load (and a browser without
JavaScript) shows the same screen the polls bring.
"""
import io
import logging
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.brainring import service
from app.brainring.models import CLOSED, OPEN, Game, RingSet
from app.core.clock import now
from app.core.confirm import confirmation_page, confirmed
from app.core.http import int_field
from app.core.uploads import COVER_SIZE, UploadError, jpeg_bytes, rebuild_image
from app.extensions import db
from app.people.access import role_required
from app.people.models import ADMIN, CURATOR

bp = Blueprint("ring", __name__)
LETTERS = "ABCD"
logger = logging.getLogger(__name__)


class ActionForm(FlaskForm):
    """Carries the CSRF token; fields are read from the request."""


@bp.context_processor
def letters():
    """Give the templates the answer letters."""
    return {"letters": LETTERS}


def _game_or_404(code: str) -> Game:
    """Find the game of the code in the URL, or answer 404."""
    return service.game_by_code(code) or abort(404)


def _wants_json() -> bool:
    """Tell whether the page's script sent the request."""
    return request.headers.get("X-Requested-With") == "fetch"


def _join(game: Game):
    """Join the game as the signed-in person and go to the pad; say why not on the start page."""
    try:
        service.join(game, current_user, now())
    except service.RingError as error:
        flash(str(error), "error")
        return redirect(url_for(".index"))
    return redirect(url_for(".play", code=game.code))


@bp.route("/ring/", methods=["GET", "POST"])
@login_required
def index():
    """Join a game by its code; hosts also open a new game here."""
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        game = service.game_by_code(request.form.get("code", ""))
        if game is None:
            flash(_("No game has this code. Check it on the screen in the hall."), "error")
        else:
            return _join(game)
    return render_template("brainring/index.html", form=ActionForm(), sets=service.ring_sets(),
                           can_host=service.may_host(current_user))


@bp.route("/ring/new", methods=["POST"])
@role_required(CURATOR, ADMIN)
def new():
    """Open a game of the chosen question set and go to its projector screen."""
    if not ActionForm().validate_on_submit():
        abort(400)
    ring_set = db.session.get(RingSet, int_field("set", 0))
    if ring_set is None or ring_set.retired:
        flash(_("Choose a question set."), "error")
        return redirect(url_for(".index"))
    game = service.open_game(current_user, ring_set, request.form.get("activity", "").strip(), now())
    return redirect(url_for(".host", code=game.code))


# --- the projector --------------------------------------------------------------------------------

def _host_game(code: str) -> Game:
    """Find the game of the URL for its host (or the ACS); refuse anyone else."""
    game = _game_or_404(code)
    if game.host_id != current_user.id and not current_user.is_admin:
        abort(403)
    return game


def _render_board(template: str, game: Game) -> str:
    """Render the projector's page or its fragment: both show brainring/_board.html."""
    return render_template(template, game=game, board=service.board(game), moment=now(), form=ActionForm())


@bp.route("/ring/<code>/host")
@role_required(CURATOR, ADMIN)
def host(code):
    """Show the projector: join code and QR, the question and countdown, the room's answers, the top five, the podium."""
    return _render_board("brainring/host.html", _host_game(code))


@bp.route("/ring/<code>/board")
@role_required(CURATOR, ADMIN)
def board(code):
    """Send the projector's fragment, or 204 when nothing it shows changed."""
    game = _host_game(code)
    if request.args.get("since") == f"{game.version}" and game.status != OPEN:   # open: the answer count moves
        return Response(status=204)
    return _render_board("brainring/_board.html", game)


@bp.route("/ring/<code>/<any(next, reveal, close):step>", methods=["POST"])
@role_required(CURATOR, ADMIN)
def step(code, step):
    """Take the host's next step: open the next question, show the answer, or end the game."""
    game = _host_game(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    if step == "close" and game.status != CLOSED and not confirmed():
        return confirmation_page(
            question=_("End the game “%(title)s”?", title=game.title),
            consequence=_("the results become final: no more questions can be asked or answered, and participation and XP are written for everyone who answered."),
            button=_("End the game"), back=url_for(".host", code=game.code))
    action = {"next": service.next_question, "reveal": service.reveal, "close": service.close}[step]
    try:
        action(game, current_user, now())
    except service.RingError as error:
        flash(str(error), "error")
    return redirect(url_for(".host", code=game.code))


@bp.route("/ring/<code>/qr.svg")
@role_required(CURATOR, ADMIN)
def qr(code):
    """Draw the QR code of the game's join page."""
    import qrcode.image.svg   # only for the projector: not loaded by every worker

    game = _host_game(code)
    image = qrcode.make(url_for(".play", code=game.code, _external=True), image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=14)
    return Response(image.to_string(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.route("/ring/<code>/images/<int:index>")
@role_required(CURATOR, ADMIN)
def image(code, index):
    """A question's picture, for the projector only."""
    game = _host_game(code)
    if not 0 <= index < len(game.questions) or not game.questions[index].get("image"):
        abort(404)
    path = service.picture_file(game.questions[index]["image"], Path(current_app.config["CONTENT_FOLDER"]),
                                Path(current_app.config["UPLOAD_FOLDER"]))
    if path is None:
        abort(404)
    try:   # the room sees the picture's pixels, never what its file carries besides
        picture = jpeg_bytes(rebuild_image(path.read_bytes(), COVER_SIZE))
    except UploadError as error:
        logger.warning("brain ring picture %s not shown: %s", path.name, error)
        abort(404)
    return send_file(io.BytesIO(picture), mimetype="image/jpeg", max_age=300)


# --- the phones -----------------------------------------------------------------------------------

@bp.route("/ring/<code>")
@login_required
def play(code):
    """Show the answer pad to a player; to anyone else, the game's join page (joining is a POST)."""
    game = _game_or_404(code)
    player = service.player_of(game, current_user.id)
    if player is None:
        return render_template("brainring/join.html", game=game, form=ActionForm())
    return render_template("brainring/play.html", game=game, player=player,
                           state=service.pad_state(game, player, now()), form=ActionForm())


@bp.route("/ring/<code>/join", methods=["POST"])
@login_required
def join(code):
    """Join the game (or come back to it) and go to the answer pad."""
    game = _game_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _join(game)


@bp.route("/ring/<code>/pad")
@login_required
def pad(code):
    """Send the player's pad fragment, or 204 when nothing it shows changed."""
    game = _game_or_404(code)
    player = service.player_of(game, current_user.id) or abort(404)
    state = service.pad_state(game, player, now())
    if request.args.get("since") == f"{game.version}:{state.my_option}":
        return Response(status=204)
    return render_template("brainring/_pad.html", game=game, player=player, state=state, form=ActionForm())


@bp.route("/ring/<code>/team", methods=["POST"])
@login_required
def team(code):
    """Join a team by its name in the lobby, or play alone with an empty name."""
    game = _game_or_404(code)
    player = service.player_of(game, current_user.id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.choose_team(game, player, request.form.get("team", ""))
    except service.RingError as error:
        flash(str(error), "error")
    return redirect(url_for(".play", code=game.code))


@bp.route("/ring/<code>/answer", methods=["POST"])
@login_required
def answer(code):
    """One answer per question, timed by the server; the reply never says whether it was right."""
    game = _game_or_404(code)
    player = service.player_of(game, current_user.id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.answer(game, player, int_field("question", -1),
                       int_field("option", -1), now())
    except service.RingError as error:
        if _wants_json():
            return jsonify(saved=False, message=str(error)), 409
        flash(str(error), "error")
    else:
        if _wants_json():
            return jsonify(saved=True, message=_("Answer sent."))
    return redirect(url_for(".play", code=game.code))


@bp.route("/ring/<code>/results")
@login_required
def results(code):
    """The final standings of a closed game, for its players and host."""
    game = _game_or_404(code)
    if game.status != CLOSED:
        abort(404)
    if service.player_of(game, current_user.id) is None and game.host_id != current_user.id and not current_user.is_admin:
        abort(403)
    return render_template("brainring/results.html", game=game, standings=service.standings(game))

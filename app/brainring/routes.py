"""Brain ring pages: the host's projector screen, the players' answer pads, and the short-polled fragments.

Live updates are short polls (about one a second) of small HTML fragments: a request takes a few
milliseconds and returns 204 when nothing changed, so 150 phones never hold a sync worker.
"""
import io
import logging
from pathlib import Path

import qrcode
import qrcode.image.svg
from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.brainring import service
from app.brainring.models import CLOSED, OPEN, Game, RingSet
from app.core.clock import now
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
    return {"letters": LETTERS}


def _game_or_404(code: str) -> Game:
    return service.game_by_code(code) or abort(404)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


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
            return redirect(url_for(".play", code=game.code))
    return render_template("brainring/index.html", form=ActionForm(), sets=service.ring_sets(),
                           can_host=service.may_host(current_user))


@bp.route("/ring/new", methods=["POST"])
@role_required(CURATOR, ADMIN)
def new():
    if not ActionForm().validate_on_submit():
        abort(400)
    ring_set = db.session.get(RingSet, request.form.get("set", type=int) or 0)
    if ring_set is None or ring_set.retired:
        flash(_("Choose a question set."), "error")
        return redirect(url_for(".index"))
    game = service.open_game(current_user, ring_set, request.form.get("activity", "").strip(), now())
    return redirect(url_for(".host", code=game.code))


# --- the projector --------------------------------------------------------------------------------

def _host_game(code: str) -> Game:
    game = _game_or_404(code)
    if game.host_id != current_user.id and not current_user.is_admin:
        abort(403)
    return game


def _board_fragment(game: Game) -> str:
    return render_template("brainring/_board.html", game=game, board=service.board(game), moment=now(),
                           form=ActionForm(), join_url=url_for(".play", code=game.code, _external=True))


@bp.route("/ring/<code>/host")
@role_required(CURATOR, ADMIN)
def host(code):
    """The projector: join code and QR, the question and countdown, the room's answers, the top five, the podium."""
    game = _host_game(code)
    return render_template("brainring/host.html", game=game, fragment=_board_fragment(game))


@bp.route("/ring/<code>/board")
@role_required(CURATOR, ADMIN)
def board(code):
    game = _host_game(code)
    if request.args.get("since") == f"{game.version}" and game.status != OPEN:   # open: the answer count moves
        return Response(status=204)
    return _board_fragment(game)


@bp.route("/ring/<code>/<any(next, reveal, close):step>", methods=["POST"])
@role_required(CURATOR, ADMIN)
def step(code, step):
    game = _host_game(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    action = {"next": service.next_question, "reveal": service.reveal, "close": service.close}[step]
    try:
        action(game, current_user, now())
    except service.RingError as error:
        flash(str(error), "error")
    return redirect(url_for(".host", code=game.code))


@bp.route("/ring/<code>/qr.svg")
@role_required(CURATOR, ADMIN)
def qr(code):
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
    folder = (Path(current_app.config["CONTENT_FOLDER"]) / "quizzes").resolve()
    path = (folder / game.questions[index]["image"]).resolve()
    if folder not in path.parents or not path.is_file():
        abort(404)
    try:   # the room sees the picture's pixels, never what its file carries besides
        picture = jpeg_bytes(rebuild_image(path.read_bytes(), COVER_SIZE))
    except UploadError as error:
        logger.warning("brain ring picture %s not shown: %s", path.name, error)
        abort(404)
    return send_file(io.BytesIO(picture), mimetype="image/jpeg", max_age=300)


# --- the phones -----------------------------------------------------------------------------------

def _pad_fragment(game, player) -> str:
    return render_template("brainring/_pad.html", game=game, player=player, state=service.pad_state(game, player, now()),
                           form=ActionForm())


@bp.route("/ring/<code>")
@login_required
def play(code):
    """Join (or rejoin) a game and get the answer pad."""
    game = _game_or_404(code)
    player = service.player_of(game, current_user.id)
    if player is None:
        try:
            player = service.join(game, current_user, now())
        except service.RingError as error:
            flash(str(error), "error")
            return redirect(url_for(".index"))
    return render_template("brainring/play.html", game=game, fragment=_pad_fragment(game, player))


@bp.route("/ring/<code>/pad")
@login_required
def pad(code):
    game = _game_or_404(code)
    player = service.player_of(game, current_user.id) or abort(404)
    state = service.pad_state(game, player, now())
    if request.args.get("since") == f"{game.version}:{state.my_option}":
        return Response(status=204)
    return _pad_fragment(game, player)


@bp.route("/ring/<code>/team", methods=["POST"])
@login_required
def team(code):
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
        service.answer(game, player, request.form.get("question", type=int, default=-1),
                       request.form.get("option", type=int, default=-1), now())
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

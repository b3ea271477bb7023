"""The brain ring's personal data: the games a person played, their answers, the games they hosted."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.brainring.models import Game, Player, RingAnswer, Team
from app.core.personal import FOR_FIGURES, Holding
from app.extensions import db

HOLDINGS = (
    Holding("ring_players", ("user_id",), _l("Brain-ring games a person joined, their team and answers"),
            _l("Running the game and counting activity 2.13"), FOR_FIGURES, ("self", "admin")),
    Holding("ring_games", ("host_id",), _l("Who hosted a brain-ring game"), _l("Running the game"), FOR_FIGURES,
            ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the games the person played, with their team's name and their answers."""
    players = db.session.execute(
        select(Player, Game.code, Game.title, Team.name).join(Game, Game.id == Player.game_id)
        .outerjoin(Team, Team.id == Player.team_id).where(Player.user_id == user_id).order_by(Player.joined_at)).all()
    answers: dict[int, list] = {}
    for answer in db.session.execute(select(RingAnswer).join(Player, Player.id == RingAnswer.player_id)
                                     .where(Player.user_id == user_id).order_by(RingAnswer.id)).scalars():
        answers.setdefault(answer.player_id, []).append(
            {"question": answer.question, "option": answer.option, "points": answer.points, "late": answer.late,
             "received_at": answer.received_at.isoformat()})
    return {
        "games": [{"game": code, "title": title, "team": team, "joined_at": p.joined_at.isoformat(),
                   "answers": answers.get(p.id, [])} for p, code, title, team in players],
        "games_hosted": db.session.scalar(select(func.count()).select_from(Game).where(Game.host_id == user_id)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep players and answers: they hold no free text, and team results rest on them."""

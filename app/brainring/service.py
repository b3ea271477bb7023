"""Rules of the brain ring: opening a game, joining, the host's steps, answering, scoring, standings, closing.

Scoring (documented for players on the join page):
    a right answer in time scores   500 + round(500 × (1 − t / T))
    where t is the seconds between the question opening and the answer reaching the server
    (clamped to 0…T) and T the question's time: 1000 for an instant answer, 500 at the buzzer.
    A wrong answer, a late answer and no answer score 0.
    A team's score for a question is its best member's score (so a team of six has no edge over
    a team of two for its size alone); a team's total is the sum over the questions.
The server's clock decides; the right answer reaches no phone before the question closes; one
answer per player per question; the answers with their server times are kept; results are final
once the host closes the game, which also writes the participation rows and XP.
"""
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.audit import service as audit
from app.brainring.models import CLOSED, LOBBY, OPEN, REVEAL, Game, Player, RingAnswer, RingSet, Team
from app.core.db_helpers import dialect_insert
from app.extensions import db
from app.gamification.service import record_xp
from app.people.models import ADMIN, CURATOR, User
from app.plan import service as plan_service
from app.plan.models import Activity

MAX_TEAM = 6
CODE_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"
GAME_XP = 20


class RingError(ValueError):
    """Refused; the message says why, for the person."""


def points_for(correct: bool, seconds_taken: float, limit: int) -> int:
    """The formula in the module's docstring."""
    if not correct:
        return 0
    t = min(max(seconds_taken, 0.0), float(limit))
    return 500 + round(500 * (1 - t / limit))


def may_host(user: User) -> bool:
    return user.has_role(CURATOR, ADMIN)


def ring_sets() -> list[RingSet]:
    return db.session.execute(select(RingSet).where(RingSet.retired.is_(False)).order_by(RingSet.title)).scalars().all()


def game_by_code(code: str) -> Game | None:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return db.session.execute(select(Game).where(Game.code == cleaned)).scalar_one_or_none() if cleaned else None


def open_game(host: User, ring_set: RingSet, activity_code: str, now: datetime) -> Game:
    if not may_host(host):
        raise RingError(_("Curators and the ACS host games."))
    plan = plan_service.current_plan(now.date())
    code = activity_code or ring_set.activity_code
    activity = plan_service.activity_by_code(plan, code) if plan and code else None
    for _attempt in range(10):
        candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if game_by_code(candidate) is None:
            break
    game = Game(code=candidate, set_id=ring_set.id, host_id=host.id, activity_id=activity.id if activity else None,
                title=ring_set.title, questions=ring_set.questions, created_at=now)
    db.session.add(game)
    db.session.commit()
    return game


def _bump(game: Game) -> None:
    db.session.execute(update(Game).where(Game.id == game.id).values(version=Game.version + 1))


# --- players and teams ----------------------------------------------------------------------------

def join(game: Game, user: User, now: datetime) -> Player:
    """Join (or rejoin: the same player comes back, answers and team intact)."""
    player = db.session.execute(select(Player).where(Player.game_id == game.id, Player.user_id == user.id)).scalar_one_or_none()
    if player is not None:
        return player
    if game.status == CLOSED:
        raise RingError(_("This game is over."))
    db.session.execute(dialect_insert(Player).values(game_id=game.id, user_id=user.id, joined_at=now)
                       .on_conflict_do_nothing())
    _bump(game)
    db.session.commit()
    return db.session.execute(select(Player).where(Player.game_id == game.id, Player.user_id == user.id)).scalar_one()


def player_of(game: Game, user_id: int) -> Player | None:
    return db.session.execute(select(Player).where(Player.game_id == game.id, Player.user_id == user_id)).scalar_one_or_none()


def choose_team(game: Game, player: Player, name: str) -> None:
    """Join the team of that name, creating it; an empty name plays alone. Only in the lobby."""
    if game.status != LOBBY:
        raise RingError(_("Teams are formed in the lobby, before the first question."))
    name = " ".join(name.split())[:40]
    if not name:
        player.team_id = None
    else:
        db.session.execute(dialect_insert(Team).values(game_id=game.id, name=name).on_conflict_do_nothing())
        team = db.session.execute(select(Team).where(Team.game_id == game.id, Team.name == name)).scalar_one()
        size = db.session.scalar(select(func.count()).select_from(Player).where(
            Player.team_id == team.id, Player.id != player.id))
        if size >= MAX_TEAM:
            db.session.rollback()
            raise RingError(_("Team “%(name)s” already has %(n)d players.", name=name, n=MAX_TEAM))
        player.team_id = team.id
    _bump(game)
    db.session.commit()


# --- the host's steps -----------------------------------------------------------------------------

def _require_host(game: Game, user: User) -> None:
    if game.host_id != user.id and not user.is_admin:
        raise RingError(_("Only the host runs this game."))


def next_question(game: Game, user: User, now: datetime) -> None:
    _require_host(game, user)
    if game.status not in (LOBBY, REVEAL) or game.current + 1 >= len(game.questions):
        raise RingError(_("There is no next question now."))
    question = game.questions[game.current + 1]
    game.current, game.status = game.current + 1, OPEN
    game.opened_at, game.closes_at = now, now + timedelta(seconds=question["seconds"])
    _bump(game)
    db.session.commit()


def reveal(game: Game, user: User, now: datetime) -> None:
    """Show the right answer; before the time is up this ends the question early."""
    _require_host(game, user)
    if game.status != OPEN:
        raise RingError(_("No question is open."))
    if now < game.closes_at:
        game.closes_at = now
    game.status = REVEAL
    _bump(game)
    db.session.commit()


def close(game: Game, user: User, now: datetime) -> None:
    """End the game: results are final; every player who answered gets participation and XP."""
    _require_host(game, user)
    if game.status == CLOSED:
        return
    if game.status == OPEN:
        game.closes_at = min(game.closes_at, now)
    game.status, game.closed_at = CLOSED, now
    _bump(game)
    answered = db.session.execute(select(Player.user_id).join(RingAnswer, RingAnswer.player_id == Player.id)
                                  .where(Player.game_id == game.id).distinct()).scalars().all()
    activity = db.session.get(Activity, game.activity_id) if game.activity_id else None
    for user_id in answered:
        if activity is not None:
            plan_service.record_participation(user_id, activity, source="game", source_ref=f"ring:{game.id}", when=now)
        record_xp(user_id, amount=GAME_XP, reason=f"Brain ring: {game.title}"[:200], source_type="ring",
                  source_ref=str(game.id), when=now)
    audit.record("ring.closed", actor=user, subject=f"ring:{game.id}",
                 payload={"players": len(answered), "questions": game.current + 1})
    db.session.commit()


# --- answering ------------------------------------------------------------------------------------

def answer(game: Game, player: Player, question: int, option: int, now: datetime) -> RingAnswer:
    """Record one answer with the server's time; refuse a second one and a late one (kept in the log, 0 points)."""
    if game.status not in (OPEN, REVEAL) or question != game.current:
        raise RingError(_("This question is not open."))
    entry = game.questions[question]
    if not 0 <= option < len(entry["options"]):
        raise RingError(_("Choose one of the answers."))
    late = game.status != OPEN or now > game.closes_at
    points = 0 if late else points_for(option == entry["answer"], (now - game.opened_at).total_seconds(),
                                       entry["seconds"])
    new = db.session.execute(dialect_insert(RingAnswer).values(
        game_id=game.id, player_id=player.id, question=question, option=option, received_at=now, late=late,
        points=points).on_conflict_do_nothing().returning(RingAnswer.id)).scalar_one_or_none()
    db.session.commit()
    if new is None:
        raise RingError(_("You have already answered this question."))
    if late:
        raise RingError(_("Too late: the time was up."))
    return db.session.get(RingAnswer, new)


# --- what the screens show ------------------------------------------------------------------------

@dataclass
class Standing:
    name: str
    points: int
    place: int
    players: int = 1
    key: tuple = ()


@dataclass
class Board:
    players: int
    answered: int                                  # answers to the current question
    distribution: list[int] = field(default_factory=list)
    standings: list[Standing] = field(default_factory=list)   # teams and solo players, best first


def standings(game: Game) -> list[Standing]:
    """Teams (best member per question, summed) and players without a team, ranked; ties share a place."""
    players = db.session.execute(select(Player.id, Player.team_id, User.full_name).join(User, User.id == Player.user_id)
                                 .where(Player.game_id == game.id)).all()
    teams = dict(db.session.execute(select(Team.id, Team.name).where(Team.game_id == game.id)).all())
    points = db.session.execute(select(RingAnswer.player_id, RingAnswer.question, RingAnswer.points)
                                .where(RingAnswer.game_id == game.id)).all()
    team_of = {pid: tid for pid, tid, _name in players}
    rows: dict[tuple, Standing] = {}
    best: dict[tuple, int] = {}
    for pid, tid, name in players:
        key = ("team", tid) if tid else ("player", pid)
        if key not in rows:
            rows[key] = Standing(teams.get(tid, name) if tid else name, 0, 0, 0, key)
        rows[key].players += 1
    for pid, question, score in points:
        key = ("team", team_of[pid]) if team_of.get(pid) else ("player", pid)
        best[(key, question)] = max(best.get((key, question), 0), score)
    for (key, _question), score in best.items():
        rows[key].points += score
    ranked = sorted(rows.values(), key=lambda s: (-s.points, s.name))
    for index, row in enumerate(ranked):
        row.place = ranked[index - 1].place if index and ranked[index - 1].points == row.points else index + 1
    return ranked


def board(game: Game) -> Board:
    count = db.session.scalar(select(func.count()).select_from(Player).where(Player.game_id == game.id))
    result = Board(players=count, answered=0)
    if game.current >= 0:
        rows = db.session.execute(select(RingAnswer.option, func.count()).where(
            RingAnswer.game_id == game.id, RingAnswer.question == game.current, RingAnswer.late.is_(False))
            .group_by(RingAnswer.option)).all()
        result.distribution = [0] * len(game.questions[game.current]["options"])
        for option, n in rows:
            result.distribution[option] = n
        result.answered = sum(result.distribution)
    if game.status in (REVEAL, CLOSED):
        result.standings = standings(game)
    return result


@dataclass
class PadState:
    """What a phone may know: never the right answer while the question is open."""

    status: str
    question: int
    total: int
    options: int
    seconds_left: float
    my_option: int | None
    correct: int | None = None
    my_points: int | None = None
    my_total: int = 0
    place: int | None = None
    of: int = 0


def pad_state(game: Game, player: Player, now: datetime) -> PadState:
    current = game.questions[game.current] if game.current >= 0 else None
    mine = None
    if current is not None:
        mine = db.session.execute(select(RingAnswer).where(RingAnswer.player_id == player.id,
                                                           RingAnswer.question == game.current)).scalar_one_or_none()
    state = PadState(game.status, game.current, len(game.questions), len(current["options"]) if current else 0,
                     max(0.0, (game.closes_at - now).total_seconds()) if game.status == OPEN else 0.0,
                     mine.option if mine else None)
    if game.status in (REVEAL, CLOSED) and current is not None:
        state.correct, state.my_points = current["answer"], (mine.points if mine else 0)
        table = standings(game)
        key = ("team", player.team_id) if player.team_id else ("player", player.id)
        row = next((s for s in table if s.key == key), None)
        state.my_total, state.place, state.of = (row.points, row.place, len(table)) if row else (0, None, len(table))
    return state

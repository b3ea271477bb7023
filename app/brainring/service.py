"""Rules of the brain ring: opening a game, joining, the host's steps, answering, scoring, standings, closing.

Scoring (documented for players on the join page and in the README):
    a right answer in time scores   500 + round(500 × (1 − t / T))
    where t is the seconds between the question opening and the answer reaching the server
    (clamped to 0…T) and T the question's time: 1000 for an instant answer, 500 at the buzzer.
    A wrong answer, a late answer and no answer score 0.
A team answers once: the first answer any member sends for a question is the team's answer, the
other members' pads show it and refuse theirs, and the team scores what that one answer scores. A
team's total is the sum over the questions; teams and solo players are ranked together, ties
share a place.
    Why this rule: when a team scored its best member's points, four members tapping A, B, C and
    D scored full marks on every question with no knowledge. With one answer a team, those four
    score what one guess scores, and a team of six has no edge over a player alone except that it
    can confer, as in the brain ring played on a stage. (The members' mean would also stop the
    attack, but it punishes a team for a member whose phone lost the network.) The database holds
    the rule: an answer carries its team, and a team has one answer per question.
The server's clock decides; the right answer reaches no phone before the question closes; one
answer per player per question; the answers with their server times are kept; results are final
once the host closes the game, which also writes the participation rows and XP. Solo players
appear on the projector and the results as they chose for leaderboards: by name, by initials, or
as an anonymous player.
"""
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import case, distinct, func, select, update

from app.audit import service as audit
from app.brainring.models import CLOSED, LOBBY, OPEN, REVEAL, Game, Player, RingAnswer, RingSet, Team
from app.core import events
from app.core.db_helpers import dialect_insert
from app.core.uploads import RING_IMAGE_FOLDER, RING_IMAGE_PREFIX
from app.extensions import db
from app.people.models import ADMIN, CURATOR, User, display_name
from app.plan import service as plan_service
from app.plan.models import Activity

MAX_TEAM = 6
CODE_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"
GAME_XP = 20


class RingError(ValueError):
    """Refused; the message says why, for the person."""


def points_for(correct: bool, seconds_taken: float, limit: int) -> int:
    """Apply the formula in the module's docstring."""
    if not correct:
        return 0
    t = min(max(seconds_taken, 0.0), float(limit))
    return 500 + round(500 * (1 - t / limit))


def may_host(user: User) -> bool:
    """Tell whether this person may open and run games."""
    return user.has_role(CURATOR, ADMIN)


def ring_sets() -> list[RingSet]:
    """List the question sets a host may choose from."""
    return db.session.execute(select(RingSet).where(RingSet.retired.is_(False)).order_by(RingSet.title)).scalars().all()


def game_by_code(code: str) -> Game | None:
    """Find a game by the code on the screen, forgiving case, spaces and dashes."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return db.session.execute(select(Game).where(Game.code == cleaned)).scalar_one_or_none() if cleaned else None


def draw_questions(ring_set: RingSet, rng: random.Random) -> list[dict]:
    """The questions of a new game: the set's `per_game` least played in its earlier games, in the set's order.

    A set of 40 with 10 a game plays four monthly games without repeating a question; the fifth
    starts again from those played least (random among equals).
    """
    questions = ring_set.questions
    if not ring_set.per_game or ring_set.per_game >= len(questions):
        return list(questions)
    played = Counter(q["key"] for game_questions in db.session.execute(
        select(Game.questions).where(Game.set_id == ring_set.id)).scalars() for q in game_questions)
    shuffled = rng.sample(range(len(questions)), len(questions))
    chosen = sorted(shuffled, key=lambda index: played[questions[index]["key"]])[:ring_set.per_game]
    return [questions[index] for index in sorted(chosen)]


def open_game(host: User, ring_set: RingSet, activity_code: str, now: datetime,
              rng: random.Random | None = None) -> Game:
    """Open a game of this set in the lobby, under a fresh join code, counting for the plan activity given."""
    if not may_host(host):
        raise RingError(_("Curators and the ACS host games."))
    code = activity_code or ring_set.activity_code
    activity = plan_service.activity_at(now, code) if code else None
    for _attempt in range(10):
        candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if game_by_code(candidate) is None:
            break
    game = Game(code=candidate, set_id=ring_set.id, host_id=host.id, activity_id=activity.id if activity else None,
                title=ring_set.title, translations={language: {"title": text["title"]} for language, text in
                                                    (ring_set.translations or {}).items() if text.get("title")},
                questions=draw_questions(ring_set, rng or random.SystemRandom()), created_at=now)
    db.session.add(game)
    db.session.commit()
    return game


def _bump(game: Game) -> None:
    """Mark the game changed, so that the screens' next poll fetches it."""
    db.session.execute(update(Game).where(Game.id == game.id).values(version=Game.version + 1))


# --- players and teams ----------------------------------------------------------------------------

def join(game: Game, user: User, now: datetime) -> Player:
    """Join the game, or rejoin it: the same player comes back, answers and team intact."""
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
    """Find this person's player in the game, if they joined."""
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
    """Refuse anyone but the game's host and the ACS."""
    if game.host_id != user.id and not user.is_admin:
        raise RingError(_("Only the host runs this game."))


def next_question(game: Game, user: User, now: datetime) -> None:
    """Open the next question; its time starts now, by the server's clock."""
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
        events.announce(events.xp_earned, "brainring", user_id=user_id, amount=GAME_XP,
                        reason=f"Brain ring: {game.title}"[:200], source_type="ring", source_ref=str(game.id), at=now)
    audit.record("ring.closed", actor=user, subject=f"ring:{game.id}",
                 payload={"players": len(answered), "questions": game.current + 1})
    db.session.commit()


# --- answering ------------------------------------------------------------------------------------

def answer(game: Game, player: Player, question: int, option: int, now: datetime) -> RingAnswer:
    """Record one answer with the server's time; refuse a second one from the player or the team, and a late one.

    A late answer is kept in the log with 0 points. The unique keys (player, question) and (team,
    question) decide between answers that arrive together, so exactly one member's answer counts.
    """
    if game.status not in (OPEN, REVEAL) or question != game.current:
        raise RingError(_("This question is not open."))
    entry = game.questions[question]
    if not 0 <= option < len(entry["options"]):
        raise RingError(_("Choose one of the answers."))
    late = game.status != OPEN or now > game.closes_at
    points = 0 if late else points_for(option == entry["answer"], (now - game.opened_at).total_seconds(),
                                       entry["seconds"])
    new = db.session.execute(dialect_insert(RingAnswer).values(
        game_id=game.id, player_id=player.id, team_id=player.team_id, question=question, option=option,
        received_at=now, late=late, points=points).on_conflict_do_nothing().returning(RingAnswer.id)).scalar_one_or_none()
    db.session.commit()
    if new is None:
        mine = db.session.scalar(select(RingAnswer.id).where(RingAnswer.player_id == player.id,
                                                             RingAnswer.question == question))
        if mine is None and player.team_id is not None:
            raise RingError(_("Your team has already answered this question."))
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
    answered: int                                  # answers to the current question (one a team at most)
    distribution: list[int] = field(default_factory=list)
    standings: list[Standing] = field(default_factory=list)   # teams and solo players, best first
    sides: int = 0                                 # who may answer: teams plus solo players


def solo_name(full_name: str, leaderboard_display: str) -> str:
    """Name a solo player the way they chose for leaderboards: by name, by initials, or anonymously."""
    if leaderboard_display == "hidden":
        return _("Anonymous player")
    return display_name(full_name, leaderboard_display)


def standings(game: Game) -> list[Standing]:
    """Rank teams and players without a team by points; ties share a place.

    A side's points for a question are the best of its answers to it. Since a team answers once,
    that is the team's one answer; it also keeps the results of games recorded before that rule.
    """
    solo = case((Player.team_id.is_(None), Player.id))
    best = (select(Player.team_id.label("team_id"), solo.label("solo_id"), func.max(RingAnswer.points).label("points"))
            .join(Player, Player.id == RingAnswer.player_id).where(RingAnswer.game_id == game.id)
            .group_by(Player.team_id, solo, RingAnswer.question)).subquery()
    totals = db.session.execute(select(best.c.team_id, best.c.solo_id, func.sum(best.c.points))
                                .group_by(best.c.team_id, best.c.solo_id)).all()
    points = {(("team", tid) if tid else ("player", pid)): int(total) for tid, pid, total in totals}
    players = db.session.execute(select(Player.id, Player.team_id, User.full_name, User.leaderboard_display)
                                 .join(User, User.id == Player.user_id).where(Player.game_id == game.id)).all()
    teams = dict(db.session.execute(select(Team.id, Team.name).where(Team.game_id == game.id)).all())
    rows: dict[tuple, Standing] = {}
    for pid, tid, full_name, shown_as in players:
        key = ("team", tid) if tid else ("player", pid)
        if key not in rows:
            name = teams[tid] if tid else solo_name(full_name, shown_as)
            rows[key] = Standing(name, points.get(key, 0), 0, 0, key)
        rows[key].players += 1
    ranked = sorted(rows.values(), key=lambda s: (-s.points, s.name, s.key))
    for index, row in enumerate(ranked):
        row.place = ranked[index - 1].place if index and ranked[index - 1].points == row.points else index + 1
    return ranked


def board(game: Game) -> Board:
    """Count who joined and how the room answered the current question; rank everyone once the answer is shown."""
    players, teams, solos = db.session.execute(select(
        func.count(), func.count(distinct(Player.team_id)),
        func.coalesce(func.sum(case((Player.team_id.is_(None), 1), else_=0)), 0)).where(Player.game_id == game.id)).one()
    result = Board(players=players, answered=0, sides=teams + solos)
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
    my_option: int | None                         # the answer that counts for me: mine, or my team's
    by_teammate: bool = False                      # that answer was sent by another member of my team
    correct: int | None = None
    my_points: int | None = None
    my_total: int = 0
    place: int | None = None
    of: int = 0


def pad_state(game: Game, player: Player, now: datetime) -> PadState:
    """Build what this player's pad shows now, their team's answer included."""
    current = game.questions[game.current] if game.current >= 0 else None
    counted = None
    if current is not None:
        side = RingAnswer.team_id == player.team_id if player.team_id else RingAnswer.player_id == player.id
        counted = db.session.execute(select(RingAnswer).where(side, RingAnswer.game_id == game.id,
                                                              RingAnswer.question == game.current)).scalar_one_or_none()
    state = PadState(game.status, game.current, len(game.questions), len(current["options"]) if current else 0,
                     max(0.0, (game.closes_at - now).total_seconds()) if game.status == OPEN else 0.0,
                     counted.option if counted else None, counted is not None and counted.player_id != player.id)
    if game.status in (REVEAL, CLOSED) and current is not None:
        state.correct, state.my_points = current["answer"], (counted.points if counted else 0)
        table = standings(game)
        key = ("team", player.team_id) if player.team_id else ("player", player.id)
        row = next((s for s in table if s.key == key), None)
        state.my_total, state.place, state.of = (row.points, row.place, len(table)) if row else (0, None, len(table))
    return state


def picture_file(image: str, content_folder: Path, upload_folder: Path) -> Path | None:
    """The file of a question's picture: one uploaded in the editor (under the upload folder) or one that
    came with the content files (under quizzes/); None when it is neither or lies outside them."""
    candidates = []
    if image.startswith(RING_IMAGE_PREFIX):
        candidates.append((upload_folder / RING_IMAGE_FOLDER, image.removeprefix(RING_IMAGE_PREFIX)))
    candidates.append((content_folder / "quizzes", image))
    for folder, name in candidates:
        folder = folder.resolve()
        path = (folder / name).resolve()
        if folder in path.parents and path.is_file():
            return path
    return None

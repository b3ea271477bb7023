"""Brain ring: question sets from files, live games in the hall, players and teams, and the log of answers."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User

LOBBY, OPEN, REVEAL, CLOSED = "lobby", "open", "reveal", "closed"


class RingSet(db.Model):
    """A question set for the brain ring (quizzes/<slug>.toml with kind = "brainring")."""

    __tablename__ = "ring_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    activity_code: Mapped[str] = mapped_column(String(20), default="")
    questions: Mapped[list] = mapped_column(JSON, default=list)   # [{key, text, options, answer, seconds, image, translations}]
    per_game: Mapped[int] = mapped_column(default=0)               # questions a game draws from the set; 0: all of them
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # language -> {title, description}
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    retired: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Game(db.Model):
    """One game in the hall; its questions are copied from the set when it is opened."""

    __tablename__ = "ring_games"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("ring_sets.id", ondelete="RESTRICT"))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # the set's title in other languages, as opened
    questions: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=LOBBY)
    current: Mapped[int] = mapped_column(default=-1)          # index of the question shown, -1 in the lobby
    opened_at: Mapped[datetime | None]                        # when the current question opened
    closes_at: Mapped[datetime | None]                        # when answers stop counting
    version: Mapped[int] = mapped_column(default=0)           # bumped at every change the screens must show
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    host: Mapped[User | None] = relationship()
    ring_set: Mapped[RingSet] = relationship()


class Team(db.Model):
    __tablename__ = "ring_teams"
    __table_args__ = (UniqueConstraint("game_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("ring_games.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))


class Player(db.Model):
    """A signed-in person in a game (once: rejoining resumes the same player)."""

    __tablename__ = "ring_players"
    __table_args__ = (UniqueConstraint("game_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("ring_games.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("ring_teams.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    team: Mapped[Team | None] = relationship()


class RingAnswer(db.Model):
    """The log: one answer per player and one per team per question, with the server's time of arrival."""

    __tablename__ = "ring_answers"
    # The database, not the code, stops a team's second answer: four members tapping at once race.
    __table_args__ = (UniqueConstraint("player_id", "question"), UniqueConstraint("team_id", "question"))

    id: Mapped[int] = mapped_column(primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("ring_games.id", ondelete="CASCADE"), index=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("ring_players.id", ondelete="CASCADE"))
    # The player's team when they answered; empty for a solo player (NULLs never collide in a unique key).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("ring_teams.id", ondelete="SET NULL"))
    question: Mapped[int]
    option: Mapped[int]
    received_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    points: Mapped[int] = mapped_column(default=0)

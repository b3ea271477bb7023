"""The anonymous perception survey: question sets from files, waves, and responses nobody can trace.

What is guaranteed: nothing stored, logged or backed up orders or times a response relative to a
person. How (tests/test_surveys.py attacks each of these):
- `survey_responses` has no person, no time and no address column: only a random id, the wave,
  the respondent's faculty (for the breakdown, shown only from 5 respondents up) and the answers.
  Free-text answers go to `survey_texts`, apart from the rest of the response and without even
  the faculty, so a distinctive sentence cannot be used to find the other answers of its author.
- Who has answered is kept in `survey_takers` (wave, person: the once-per-wave rule; no id, no
  time) and in the participation row for coverage, written in the day-only mode (occurred and
  recorded at midnight of the day). Both are written, and committed, when the person answers.
- The answers themselves never share a commit with that: they are committed afterwards, sealed
  (encrypted with a key derived from SECRET_KEY, which is neither in the database nor in a backup)
  into `survey_pending`. Once BATCH of them wait, or when the wave is published, the pool is opened
  and written to the response tables in one transaction, in random order, with fresh random ids. So
  the write-ahead log never holds a readable answer next to its taker, and an answer can only be
  placed among the BATCH people who answered since the previous batch.
- Every table here has random keys and is WITHOUT ROWID on SQLite (no hidden row number). After
  publication the database is VACUUMed and its write-ahead log truncated (SQLite), or the tables are
  CLUSTERed in random-key order and VACUUMed (PostgreSQL), so neither the rows, the pages nor the log
  keep any trace of the order of arrival, not even of the batches. Backups write the database anew
  in key order (SQLite's VACUUM INTO; on PostgreSQL the random-key tables are CLUSTERed first).
The pages show responses only in aggregate.
"""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User

PENDING, RELEASED, WITHHELD = "pending", "released", "withheld"


class Survey(db.Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    activity_code: Mapped[str] = mapped_column(String(20), default="")
    questions: Mapped[list] = mapped_column(JSON, default=list)
    source_digest: Mapped[str] = mapped_column(String(64), default="")
    retired: Mapped[bool] = mapped_column(default=False)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # language -> {title, description, questions: {key: {text, options, help, labels}}, waves: {key: title}}
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    waves: Mapped[list["SurveyWave"]] = relationship(back_populates="survey", order_by="SurveyWave.opens_on")

    def question(self, key: str) -> dict | None:
        return next((q for q in self.questions if q["key"] == key), None)


class SurveyWave(db.Model):
    """One round of the survey (the plan asks for two a year); results are published per wave."""

    __tablename__ = "survey_waves"
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    survey: Mapped[Survey] = relationship(back_populates="waves")
    published_by: Mapped[User | None] = relationship()

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on


class SurveyResponse(db.Model):
    """One person's answers, with nothing that says whose they are (see the module's docstring)."""

    __tablename__ = "survey_responses"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True)
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id", ondelete="SET NULL"))
    answers: Mapped[dict] = mapped_column(JSON)   # question key -> option index, list of indices, or scale value


class SurveyText(db.Model):
    """One free-text answer, kept apart from its response; public only once a moderator releases it."""

    __tablename__ = "survey_texts"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)


class SurveyPending(db.Model):
    """One sealed response (answers, faculty, free texts) waiting for its batch; unreadable without the key."""

    __tablename__ = "survey_pending"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[str] = mapped_column(Text)


class SurveyTaker(db.Model):
    """That a person has answered a wave: the once-per-wave rule. No id, no time, nothing of the answers."""

    __tablename__ = "survey_takers"
    __table_args__ = {"sqlite_with_rowid": False}

    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)

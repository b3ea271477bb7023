"""The jobs table: one row per piece of long work, with who started it and how far it got."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.core.clock import utcnow

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class Job(db.Model):
    """A piece of long work. Its handler is idempotent: running it again finishes what is left."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_started_by_created", "started_by_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # A file the job reads (a roster's CSV text): in the database, so a worker on any host sees it.
    input_text: Mapped[str | None] = mapped_column(Text, deferred=True)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    runs: Mapped[int] = mapped_column(default=0)
    runner: Mapped[str] = mapped_column(String(120), default="")   # host:pid of the process running it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 // self.total))

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

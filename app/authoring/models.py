"""Where each content item's versions came from, who may edit which item, and drafts in progress."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.models import User

FILE, BROWSER = "file", "browser"
PUBLISHED, RETIRED = "published", "retired"
KINDS = ("course", "quiz", "survey", "brainring", "contest")
# What each kind is called on the pages (the codes above are file and URL names, never shown).
KIND_LABELS = {"course": _l("Course"), "quiz": _l("Quiz"), "survey": _l("Survey"), "brainring": _l("Brain-ring set"),
               "contest": _l("Contest")}


class ContentRevision(db.Model):
    """One published (or retired) state of a content item, in its file form, with its origin and a diff."""

    __tablename__ = "content_revisions"
    __table_args__ = (UniqueConstraint("kind", "slug", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(120))
    number: Mapped[int]
    origin: Mapped[str] = mapped_column(String(10))            # file | browser
    action: Mapped[str] = mapped_column(String(10), default=PUBLISHED)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    files: Mapped[dict] = mapped_column(JSON, default=dict, deferred=True)   # path under the content root -> text
    diff: Mapped[str] = mapped_column(Text, default="", deferred=True)

    author: Mapped[User | None] = relationship()


class ContentGrant(db.Model):
    """An item an editor has been given to edit (admins edit everything without one)."""

    __tablename__ = "content_grants"
    __table_args__ = (UniqueConstraint("user_id", "kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(120))


class ContentDraft(db.Model):
    """What someone is writing for an item, kept until it is published or discarded."""

    __tablename__ = "content_drafts"
    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

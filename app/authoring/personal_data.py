"""Authoring's personal data: who published each version of the content, editors' items, drafts in progress."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app.authoring.models import ContentDraft, ContentGrant, ContentRevision
from app.core.personal import PERMANENT, WHILE_ACCOUNT, Holding
from app.extensions import db

HOLDINGS = (
    Holding("content_revisions", ("author_id",), _l("Who published or retired each version of a content item, and when"),
            _l("The content's history: what changed, by whom"), PERMANENT, ("admin", "editor")),
    Holding("content_grants", ("user_id",), _l("The content items an editor has been given"),
            _l("Letting an editor edit only what they were given"), WHILE_ACCOUNT, ("admin",)),
    Holding("content_drafts", ("author_id",), _l("Who last saved a draft of a content item"),
            _l("Keeping unfinished work until it is published"), WHILE_ACCOUNT, ("admin", "editor")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the versions the person published, the items they were given and their drafts."""
    revisions = db.session.execute(select(ContentRevision).where(ContentRevision.author_id == user_id)
                                   .order_by(ContentRevision.created_at)).scalars()
    grants = db.session.execute(select(ContentGrant).where(ContentGrant.user_id == user_id)).scalars()
    drafts = db.session.execute(select(ContentDraft).where(ContentDraft.author_id == user_id)).scalars()
    return {
        "published": [{"item": f"{r.kind}:{r.slug}", "version": r.number, "action": r.action,
                       "at": r.created_at.isoformat()} for r in revisions],
        "editor_of": [f"{g.kind}:{g.slug}" for g in grants],
        "drafts": [{"item": d.slug, "saved_at": d.updated_at.isoformat()} for d in drafts],
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Drop the person's grants and their name on drafts; the content's history keeps the (pseudonymous) author."""
    db.session.execute(delete(ContentGrant).where(ContentGrant.user_id == user_id))
    db.session.execute(update(ContentDraft).where(ContentDraft.author_id == user_id).values(author_id=None))

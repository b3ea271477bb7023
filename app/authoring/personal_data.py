"""Authoring's personal data: who wrote a content revision or a draft, and who may edit what."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.authoring.models import ContentDraft, ContentGrant, ContentRevision
from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding
from app.extensions import db

HOLDINGS = (
    Holding("content_revisions", ("author_id",), _l("Who published a revision of a lesson, quiz or contest"),
            _l("Knowing who changed the content, and when"), FOR_FIGURES, ("admin",)),
    Holding("content_drafts", ("author_id",), _l("Unpublished drafts a person is writing"),
            _l("Keeping an editor's work until it is published"), WHILE_ACCOUNT, ("self",)),
    Holding("content_grants", ("user_id",), _l("Which content a person may edit"),
            _l("Deciding who may edit what"), WHILE_ACCOUNT, ("self", "admin")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's revisions (what and when), drafts and editing rights."""
    revisions = db.session.execute(select(ContentRevision.kind, ContentRevision.slug, ContentRevision.number,
                                          ContentRevision.created_at)
                                   .where(ContentRevision.author_id == user_id).order_by(ContentRevision.id)).all()
    drafts = db.session.execute(select(ContentDraft).where(ContentDraft.author_id == user_id)
                                .order_by(ContentDraft.id)).scalars()
    grants = db.session.execute(select(ContentGrant.kind, ContentGrant.slug).where(ContentGrant.user_id == user_id)
                                .order_by(ContentGrant.id)).all()
    return {
        "revisions": [{"kind": kind, "slug": slug, "number": number, "created_at": at.isoformat()}
                      for kind, slug, number, at in revisions],
        "drafts": [{"kind": d.kind, "slug": d.slug, "fields": d.fields, "updated_at": d.updated_at.isoformat()}
                   for d in drafts],
        "may_edit": [{"kind": kind, "slug": slug} for kind, slug in grants],
        "revision_count": db.session.scalar(select(func.count()).select_from(ContentRevision)
                                            .where(ContentRevision.author_id == user_id)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete the person's drafts and editing rights; published revisions stay, by id, as the content's history."""
    db.session.execute(delete(ContentDraft).where(ContentDraft.author_id == user_id))
    db.session.execute(delete(ContentGrant).where(ContentGrant.user_id == user_id))

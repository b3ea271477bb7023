"""The content's history and its two doors: the file loader's guard, export, and publishing from the browser."""
import difflib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload, undefer

from app.audit import service as audit
from app.authoring import files as content_files
from app.authoring.models import BROWSER, FILE, PUBLISHED, RETIRED, ContentDraft, ContentGrant, ContentRevision
from app.brainring.models import RingSet
from app.brainring.service import picture_file
from app.core.clock import utcnow
from app.core.content import LoadGuard
from app.core.markdown import LESSON_IMAGE, lesson_images
from app.core.uploads import UploadError, jpeg_bytes, rebuild_image
from app.courses.models import Course
from app.extensions import db
from app.people.models import ADMIN, EDITOR, User
from app.people.service import normalise_email

logger = logging.getLogger(__name__)


def latest_revisions(kind: str | None = None) -> dict[tuple[str, str], ContentRevision]:
    """The current revision of every item (of one kind), keyed by (kind, slug): one query."""
    newest = select(ContentRevision.kind, ContentRevision.slug, func.max(ContentRevision.number).label("number"))
    if kind:
        newest = newest.where(ContentRevision.kind == kind)
    newest = newest.group_by(ContentRevision.kind, ContentRevision.slug).subquery()
    rows = db.session.execute(select(ContentRevision).options(selectinload(ContentRevision.author)).join(newest, (ContentRevision.kind == newest.c.kind) & (
        ContentRevision.slug == newest.c.slug) & (ContentRevision.number == newest.c.number))).scalars()
    return {(row.kind, row.slug): row for row in rows}


def current_revision(kind: str, slug: str) -> ContentRevision | None:
    return db.session.execute(select(ContentRevision).options(undefer(ContentRevision.files)).where(
        ContentRevision.kind == kind, ContentRevision.slug == slug).order_by(ContentRevision.number.desc()).limit(1)).scalar()


def files_diff(before: dict[str, str], after: dict[str, str]) -> str:
    """A unified diff between two versions of an item's files (empty when they are the same)."""
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        lines.extend(difflib.unified_diff((old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
                                          fromfile=name if old is not None else "/dev/null",
                                          tofile=name if new is not None else "/dev/null"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def record_revision(kind: str, slug: str, *, origin: str, author: User | None, now: datetime,
                    action: str = PUBLISHED, files: dict | None = None) -> ContentRevision | None:
    """Record the item's state as its new current revision (None when nothing changed since the last one)."""
    previous = current_revision(kind, slug)
    if files is None:
        files = content_files.item_files(kind, slug) or {} if action == PUBLISHED else {}
    if previous is not None and previous.action == action and previous.files == files and previous.origin == origin:
        return None
    revision = ContentRevision(kind=kind, slug=slug, number=(previous.number + 1) if previous else 1, origin=origin,
                               action=action, author_id=getattr(author, "id", None), created_at=now, files=files,
                               diff=files_diff(previous.files if previous else {}, files))
    db.session.add(revision)
    db.session.flush()
    return revision


class FileDoor(LoadGuard):
    """The guard `load-content` loads with: an item last changed in the browser is reported, not overwritten.

    With `force` the file wins; the overwrite is a new revision from the file and an audit event.
    """

    def __init__(self, force: bool = False, now: datetime | None = None, *, root: Path | None = None,
                 images: Path | None = None):
        self.force, self.now = force, now or utcnow()
        self.root, self.images = root, images
        self.latest = latest_revisions()

    def _from_browser(self, kind: str, slug: str) -> ContentRevision | None:
        revision = self.latest.get((kind, slug))
        return revision if revision is not None and revision.origin == BROWSER else None

    def holds(self, kind: str, slug: str) -> str | None:
        revision = self._from_browser(kind, slug)
        if revision is None or self.force:
            return None
        who = revision.author.email if revision.author else "someone"
        return (f"not loaded: last changed in the browser by {who} on {revision.created_at:%Y-%m-%d %H:%M} UTC "
                "(load-content --force replaces it with the file)")

    def keeps(self, kind: str, slug: str) -> bool:
        return not self.force and self._from_browser(kind, slug) is not None

    def loaded(self, kind: str, slug: str, *, changed: bool) -> None:
        if kind == "course" and self.root is not None and self.images is not None:
            copy_lesson_images(self.root / "courses" / slug / "images", self.images)
        if not changed and (kind, slug) in self.latest and self.latest[(kind, slug)].action == PUBLISHED \
                and self.latest[(kind, slug)].origin == FILE:
            return
        revision = record_revision(kind, slug, origin=FILE, author=None, now=self.now)
        if revision is not None and self._from_browser(kind, slug):
            audit.record("content.overwritten", subject=f"{kind}:{slug}",
                         payload={"revision": revision.number, "origin": FILE}, now=self.now)
            logger.warning("%s %s: the browser's version replaced by its file (--force)", kind, slug)


def copy_lesson_images(source: Path, images: Path) -> int:
    """Bring a course folder's images/<name>.jpg into the lesson pictures, each rebuilt from its pixels."""
    copied = 0
    for path in sorted(source.glob("*.jpg")) if source.is_dir() else []:
        target = images / path.name
        if not LESSON_IMAGE.match(f"images/{path.name}") or target.exists():
            continue
        try:
            encoded = jpeg_bytes(rebuild_image(path.read_bytes()))
        except UploadError as error:
            logger.warning("lesson image %s not loaded: %s", path, error)
            continue
        images.mkdir(parents=True, exist_ok=True)
        target.write_bytes(encoded)
        copied += 1
    return copied


def export_content(root: Path, content_root: Path, images: Path | None = None, uploads: Path | None = None) -> int:
    """Write every published item in the content-file layout under `root`; return the number of files.

    Brain-ring images are copied from the content folder they were loaded from (or, uploaded in the
    editor, from the `uploads` folder), lesson pictures from the uploads (into the course's images/ folder).
    """
    uploads = uploads if uploads is not None else (images.parent if images is not None else content_root)
    files: dict[str, str | bytes] = dict(content_files.all_files())
    for name, text in list(files.items()):
        if name.startswith("courses/") and name.endswith(".md") and images is not None:
            for picture in lesson_images(text):
                if (images / picture).is_file():
                    files[f"{name.rsplit('/', 1)[0]}/images/{picture}"] = (images / picture).read_bytes()
    for ring in db.session.execute(select(RingSet).where(RingSet.retired.is_(False))).scalars():
        for question in ring.questions:
            image = question.get("image")
            picture = picture_file(image, content_root, uploads) if image else None
            if picture is not None:
                files[f"quizzes/{image}"] = picture.read_bytes()
    content_files.write_files(root, files)
    return len(files)


def retire_item(kind: str, slug: str, *, author: User, now: datetime) -> ContentRevision | None:
    """Take a published item away from students (what people did with it is kept); None if there is none.

    The retirement is a revision from the browser, so `load-content` does not bring the item back
    from its file unless forced; it is written to the audit log.
    """
    model = Course if kind == "course" else content_files.WRITERS[kind][0]
    row = db.session.execute(select(model).where(model.slug == slug, model.retired.is_(False))).scalar()
    if row is None:
        return None
    row.retired = True
    revision = record_revision(kind, slug, origin=BROWSER, author=author, now=now, action=RETIRED)
    audit.record("content.retired", actor=author, subject=f"{kind}:{slug}", payload={"revision": revision.number},
                 now=now)
    logger.info("%s %s retired by %s", kind, slug, author.id)
    return revision


# Who may edit what --------------------------------------------------------------------------------

def can_edit(user, kind: str, slug: str) -> bool:
    """ACS admins edit every item; an editor edits the items granted to them; nobody else edits."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(ADMIN):
        return True
    if not user.has_role(EDITOR):
        return False
    return db.session.execute(select(ContentGrant.id).where(
        ContentGrant.user_id == user.id, ContentGrant.kind == kind, ContentGrant.slug == slug)).first() is not None


def editable_slugs(user, kind: str) -> set[str] | None:
    """The slugs of one kind `user` may edit (None: all of them)."""
    if user.has_role(ADMIN):
        return None
    if not user.has_role(EDITOR):
        return set()
    return set(db.session.execute(select(ContentGrant.slug).where(
        ContentGrant.user_id == user.id, ContentGrant.kind == kind)).scalars())


def grant(user: User, kind: str, slug: str, *, by: User, now: datetime) -> None:
    """Give an editor one item to edit (written to the audit log)."""
    exists = db.session.execute(select(ContentGrant).where(
        ContentGrant.user_id == user.id, ContentGrant.kind == kind, ContentGrant.slug == slug)).scalar()
    if exists is None:
        db.session.add(ContentGrant(user_id=user.id, kind=kind, slug=slug))
        audit.record("content.granted", actor=by, subject=f"{kind}:{slug}", payload={"editor": user.id}, now=now)


def grant_by_email(email: str, kind: str, slug: str, *, by: User, now: datetime) -> str | None:
    """Give the item to the editor with this e-mail; return why not (for the person), or None."""
    from flask_babel import gettext as _

    person = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar()
    if person is None or not person.has_role(EDITOR):
        return _("No one with the editor role has this e-mail address.")
    grant(person, kind, slug, by=by, now=now)
    return None


def editors_of(kind: str, slug: str) -> list[User]:
    """The editors an item is given to."""
    return db.session.execute(select(User).join(ContentGrant, ContentGrant.user_id == User.id).where(
        ContentGrant.kind == kind, ContentGrant.slug == slug).order_by(User.full_name)).scalars().all()


@dataclass
class Provenance:
    origin: str
    author: str
    at: datetime
    number: int


def provenance(kind: str, slug: str) -> Provenance | None:
    """Where an item's current version came from (file or browser), who made it and when."""
    revision = db.session.execute(select(ContentRevision).where(
        ContentRevision.kind == kind, ContentRevision.slug == slug).order_by(ContentRevision.number.desc())).scalar()
    if revision is None:
        return None
    return Provenance(revision.origin, revision.author.full_name if revision.author else "", revision.created_at,
                      revision.number)


def history(kind: str, slug: str) -> list[ContentRevision]:
    """Every revision of an item, newest first, with its diff."""
    return db.session.execute(select(ContentRevision).options(undefer(ContentRevision.diff), selectinload(
        ContentRevision.author)).where(
        ContentRevision.kind == kind, ContentRevision.slug == slug).order_by(ContentRevision.number.desc())).scalars().all()


# Drafts: what is being written in an editor, valid or not, kept until it is published or discarded -----------

def find_draft(kind: str, key: str) -> ContentDraft | None:
    return db.session.execute(select(ContentDraft).where(ContentDraft.kind == kind, ContentDraft.slug == key)).scalar()


def keep_draft(kind: str, key: str, fields: dict[str, str], *, author: User, now: datetime) -> ContentDraft:
    draft = find_draft(kind, key) or ContentDraft(kind=kind, slug=key)
    draft.fields, draft.author_id, draft.updated_at = fields, author.id, now
    db.session.add(draft)
    return draft


def drop_draft(kind: str, key: str) -> None:
    draft = find_draft(kind, key)
    if draft is not None:
        db.session.delete(draft)

"""The contests' personal data: a person's entries and files, and the scores they gave as a juror."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.contests.models import WITHDRAWN, Contest, Entry, JuryAssignment, JuryScore, PendingCover
from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding
from app.core.uploads import remove_stored
from app.extensions import db

HOLDINGS = (
    Holding("entries", ("author_id",), _l("Contest entries: texts, video links, cover images"),
            _l("Judging the contests under an opaque code and counting activities 2.7 and 2.9"),
            "withdrawn_uploads", ("self", "jury", "admin")),
    Holding("jury_assignments", ("juror_id",), _l("Which entries a juror was given, and declared conflicts"),
            _l("Blind judging without conflicts of interest"), FOR_FIGURES, ("self", "admin")),
    Holding("jury_scores", (), _l("The scores and comments a juror gave"),
            _l("Computing contest results that can be checked"), FOR_FIGURES, ("self", "admin")),
    Holding("pending_covers", ("user_id",), _l("A cover image uploaded with an entry not yet saved"),
            _l("Keeping the upload for the author's next try"), WHILE_ACCOUNT, ("self",)),
    Holding("contests", ("published_by_id",), _l("Who published a contest's results"),
            _l("Accountability for results"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's entries, and the scores they gave (by entry code only: never an author)."""
    entries = db.session.execute(
        select(Entry, Contest.slug).join(Contest, Contest.id == Entry.contest_id)
        .where(Entry.author_id == user_id).order_by(Entry.created_at)).all()
    judged = db.session.execute(
        select(JuryAssignment, Entry.code, JuryScore).join(Entry, Entry.id == JuryAssignment.entry_id)
        .outerjoin(JuryScore, JuryScore.assignment_id == JuryAssignment.id)
        .where(JuryAssignment.juror_id == user_id).order_by(JuryAssignment.assigned_at)).all()
    return {
        "entries": [{"contest": slug, "code": e.code, "status": e.status, "title": e.title, "body": e.body,
                     "video_url": e.video_url, "description": e.description, "word_count": e.word_count,
                     "cover_file": e.cover_file, "show_name": e.show_name,
                     "submitted_at": e.submitted_at.isoformat() if e.submitted_at else None,
                     "withdrawn_at": e.withdrawn_at.isoformat() if e.withdrawn_at else None}
                    for e, slug in entries],
        "scores_given_as_juror": [
            {"entry": code, "status": a.status, "conflict_reason": a.conflict_reason,
             "scores": score.values if score else None, "comment": score.comment if score else "",
             "private_note": score.private_note if score else "",
             "sealed_at": score.sealed_at.isoformat() if score and score.sealed_at else None}
            for a, code, score in judged],
        "results_published": db.session.scalar(
            select(func.count()).select_from(Contest).where(Contest.published_by_id == user_id)),
    }


def entry_files(entries) -> list[str]:
    """The stored file names of entries' covers and thumbnails."""
    return [name for e in entries for name in (e.cover_file, e.thumb_file) if name]


def clear_entry(entry: Entry, covers: Path) -> None:
    """Delete an entry's texts and files; its code, status, times and scores stay."""
    remove_stored(covers, entry.cover_file, entry.thumb_file)
    entry.title = entry.body = entry.body_html = entry.video_url = entry.description = ""
    entry.cover_file = entry.thumb_file = entry.cover_digest = ""
    entry.show_name = False


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete the person's entry texts and files and their comments as a juror; codes and scores stay."""
    covers = uploads / "covers"
    for entry in db.session.execute(select(Entry).where(Entry.author_id == user_id)).scalars():
        clear_entry(entry, covers)
    for assignment in db.session.execute(select(JuryAssignment).where(JuryAssignment.juror_id == user_id)).scalars():
        assignment.conflict_reason = ""
        if assignment.score is not None:
            assignment.score.comment = assignment.score.private_note = ""
    for pending in db.session.execute(select(PendingCover).where(PendingCover.user_id == user_id)).scalars():
        remove_stored(covers, pending.cover_file, pending.thumb_file)
    db.session.execute(delete(PendingCover).where(PendingCover.user_id == user_id))


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Delete the texts and files of entries withdrawn before the cutoff."""
    if kind != "withdrawn_uploads":
        return 0

    entries = db.session.execute(select(Entry).where(
        Entry.status == WITHDRAWN, Entry.withdrawn_at < cutoff,
        (Entry.body != "") | (Entry.cover_file != "") | (Entry.title != "") | (Entry.description != "")
        | (Entry.video_url != ""))).scalars().all()
    for entry in entries:
        clear_entry(entry, uploads / "covers")
    return len(entries)

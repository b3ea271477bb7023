"""The club's personal data: membership, ideas and votes, volunteering, clips."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.club.models import Clip, Idea, IdeaVote, Membership, VolunteerLog
from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding, rows_of
from app.core.uploads import remove_stored
from app.extensions import db

HOLDINGS = (
    Holding("club_memberships", ("user_id", "decided_by_id"), _l("An application to the club, its motivation and the decision"),
            _l("Running the club's membership"), WHILE_ACCOUNT, ("self", "coordinator")),
    Holding("ideas", ("author_id", "answered_by_id"), _l("Ideas a person proposed, and who answered them"),
            _l("Collecting and answering students' ideas"), WHILE_ACCOUNT, ("self", "coordinator", "admin")),
    Holding("idea_votes", ("user_id",), _l("Votes for ideas"), _l("Letting each person vote once"), WHILE_ACCOUNT,
            ("self",)),
    Holding("volunteer_logs", ("user_id", "decided_by_id"), _l("Volunteering hours, what was done, the decision"),
            _l("Confirming volunteering hours"), FOR_FIGURES, ("self", "coordinator")),
    Holding("clips", ("author_id",), _l("Media clips a person published, with cover images"),
            _l("The club's media page"), WHILE_ACCOUNT, ("self", "public")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's membership, ideas, votes, volunteering and clips."""
    return {
        "membership": rows_of(select(Membership).where(Membership.user_id == user_id), exclude=("decided_by_id",)),
        "ideas": rows_of(select(Idea).where(Idea.author_id == user_id).order_by(Idea.id), exclude=("answered_by_id",)),
        "idea_votes": [idea_id for idea_id in db.session.scalars(
            select(IdeaVote.idea_id).where(IdeaVote.user_id == user_id).order_by(IdeaVote.idea_id))],
        "volunteering": rows_of(select(VolunteerLog).where(VolunteerLog.user_id == user_id).order_by(VolunteerLog.id),
                                exclude=("decided_by_id",)),
        "clips": rows_of(select(Clip).where(Clip.author_id == user_id).order_by(Clip.id)),
        "decisions_made_as_coordinator": sum(db.session.scalar(select(func.count()).select_from(model).where(
            model.decided_by_id == user_id)) for model in (Membership, VolunteerLog)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete the person's ideas, clips (with their files) and free texts; confirmed hours stay, without text."""
    for membership in db.session.execute(select(Membership).where(Membership.user_id == user_id)).scalars():
        membership.motivation = membership.reason = ""
    for log in db.session.execute(select(VolunteerLog).where(VolunteerLog.user_id == user_id)).scalars():
        log.activity = log.description = log.reason = ""
    ideas = select(Idea.id).where(Idea.author_id == user_id)
    db.session.execute(delete(IdeaVote).where(IdeaVote.idea_id.in_(ideas)))
    db.session.execute(delete(Idea).where(Idea.author_id == user_id))
    db.session.execute(delete(IdeaVote).where(IdeaVote.user_id == user_id))
    for clip in db.session.execute(select(Clip).where(Clip.author_id == user_id)).scalars():
        remove_stored(uploads / "clips", clip.cover_file, clip.thumb_file)
        db.session.delete(clip)

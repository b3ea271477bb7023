"""The people feature's personal data: the profile, roles and curated groups."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding, row_dict
from app.extensions import db
from app.people.models import ERASED_DOMAIN, Headcount, User

ERASED_NAME = "Erased person #{id}"

HOLDINGS = (
    Holding("users", ("id",), _l("Name, e-mail, student number, group or unit, language, sign-in times"),
            _l("Signing in; counting each person once against the headcount of their group or unit"),
            "graduate_accounts", ("self", "admin", "curator")),
    Holding("user_roles", ("user_id",), _l("Roles on the platform"), _l("Deciding who may see and do what"),
            WHILE_ACCOUNT, ("self", "admin")),
    Holding("group_curators", ("user_id",), _l("Groups a curator follows"),
            _l("Showing curators their own groups only"), WHILE_ACCOUNT, ("self", "admin")),
    Holding("headcounts", ("recorded_by_id",), _l("Who recorded an official headcount"),
            _l("Accountability for the figures coverage is measured against"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's profile, roles, group, unit and curated groups."""
    user = db.session.get(User, user_id)
    if user is None:
        return {}
    recorded = db.session.scalar(select(func.count()).select_from(Headcount).where(Headcount.recorded_by_id == user_id))
    return {
        "profile": row_dict(user, exclude=("password_hash", "session_token")),
        "roles": sorted(user.roles),
        "group": {"code": user.group.code, "faculty": user.group.faculty.name} if user.group else None,
        "staff_unit": user.staff_unit.name if user.staff_unit else None,
        "curated_groups": [group.code for group in user.curated_groups],
        "headcounts_recorded": recorded,
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Replace the person's name, e-mail and student number and make sign-in impossible.

    The row stays, with its group, unit and roles, so every figure that counted the person still
    counts them — under a pseudonymous id and nothing else.
    """
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.email = f"erased-{user.id}{ERASED_DOMAIN}"
    user.full_name = ERASED_NAME.format(id=user.id)
    user.student_id = None
    user.password_hash = None
    user.active = False
    user.language = ""
    user.leaderboard_display = "hidden"
    user.last_login_at = None
    user.curated_groups = []
    user.end_all_sessions()

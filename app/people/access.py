"""Who may do what: role decorators and object checks, used by every view."""
from functools import wraps

from flask import abort
from flask_login import current_user

from app.core.content import EVERYONE, STAFF_AUDIENCE, STUDENTS_AUDIENCE
from app.extensions import login_manager
from app.people.models import ADMIN, CURATOR, EDITOR, STAFF, STUDENT, Group, User


def role_required(*roles: str):
    """Let the view run only for signed-in people holding one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


admin_required = role_required(ADMIN)


def can_view_group(user: User, group: Group) -> bool:
    """Admins see every group; a curator sees only the groups they curate."""
    if not user.is_authenticated:
        return False
    if user.has_role(ADMIN):
        return True
    return user.has_role(CURATOR) and any(c.id == user.id for c in group.curators)


def ensure(allowed: bool) -> None:
    """Abort with 403 unless `allowed`."""
    if not allowed:
        abort(403)


def audiences_of(user) -> tuple[str, ...]:
    """The content audiences a person belongs to: staff, students (curators follow their students' work), everyone.

    The ACS and editors, who look after the content, see everything.
    """
    if user.has_role(ADMIN, EDITOR):
        return (STAFF_AUDIENCE, STUDENTS_AUDIENCE, EVERYONE)
    mine = [EVERYONE]
    if user.has_role(STAFF):
        mine.append(STAFF_AUDIENCE)
    if user.has_role(STUDENT, CURATOR):
        mine.append(STUDENTS_AUDIENCE)
    return tuple(mine)

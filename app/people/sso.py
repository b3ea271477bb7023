"""Single sign-on rules: which account a university identity signs in to, and what its claims may change.

The identity provider vouches for who the person is; the platform decides what that person may do.
An identity is matched to an account by one configured claim (the e-mail address, or a student-id
claim); an unknown person is refused, or created as a student when the university allows it; roles
are never taken from the provider unless a roles claim is configured, and then only the roles
listed in OIDC_MANAGED_ROLES can be granted or withdrawn by it.
"""
import logging
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit import service as audit
from app.extensions import db
from app.people.models import ROLES, STUDENT, Faculty, Group, User
from app.people.service import _people_changed, normalise_email, valid_email

logger = logging.getLogger(__name__)

EMAIL = "email"


@dataclass(frozen=True)
class SsoSettings:
    """How identities from the provider map to accounts (read from the OIDC_* settings)."""

    match_claim: str = EMAIL
    name_claim: str = "name"
    create_students: bool = False
    group_claim: str | None = None
    faculty_claim: str | None = None
    roles_claim: str | None = None
    managed_roles: frozenset[str] = frozenset({"student", "staff"})

    @classmethod
    def from_config(cls, config) -> "SsoSettings":
        """Build the settings from the app's configuration, refusing roles the platform does not know."""
        managed = frozenset(part.strip().casefold() for part in re.split(r"[,; ]+", config["OIDC_MANAGED_ROLES"])
                            if part.strip())
        unknown = managed - set(ROLES)
        if unknown:
            raise ValueError(f"OIDC_MANAGED_ROLES names unknown roles: {', '.join(sorted(unknown))}")
        return cls(match_claim=config["OIDC_MATCH_CLAIM"], name_claim=config["OIDC_NAME_CLAIM"],
                   create_students=bool(config["OIDC_CREATE_STUDENTS"]), group_claim=config["OIDC_GROUP_CLAIM"],
                   faculty_claim=config["OIDC_FACULTY_CLAIM"], roles_claim=config["OIDC_ROLES_CLAIM"],
                   managed_roles=managed)


@dataclass
class SsoOutcome:
    """The account to sign in to, or the reason (for the person) why there is none."""

    user: User | None = None
    problem: str | None = None
    created: bool = False


def _text_claim(claims: dict, name: str | None) -> str:
    value = claims.get(name) if name else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return " ".join(value.split())[:200] if isinstance(value, str) else ""


def _email_claim(claims: dict) -> str | None:
    """The e-mail the provider vouches for: normalised, and None when the provider says it is unverified."""
    email = normalise_email(_text_claim(claims, EMAIL))
    if not email or not valid_email(email) or claims.get("email_verified") is False:
        return None
    return email


def _find_account(settings: SsoSettings, key: str) -> User | None:
    column = User.email if settings.match_claim == EMAIL else User.student_id
    return db.session.execute(select(User).where(column == key)).scalar_one_or_none()


def account_for_claims(claims: dict, settings: SsoSettings) -> SsoOutcome:
    """Find (or, when allowed, create) the account the provider's verified claims name.

    Refused: a missing or unverified match claim, an unknown person when creation is off, an
    inactive account. The caller commits."""
    if settings.match_claim == EMAIL:
        key = _email_claim(claims)
    else:
        key = _text_claim(claims, settings.match_claim)[:40]
    if not key:
        logger.warning("single sign-on refused: the provider sent no usable %s claim", settings.match_claim)
        return SsoOutcome(problem=_("The university account did not tell us your %(claim)s, so it cannot be "
                                    "matched to an account here. Ask the Anti-corruption Compliance Service.",
                                    claim=_("e-mail address") if settings.match_claim == EMAIL else _("student id")))
    user = _find_account(settings, key)
    created = False
    if user is None:
        if not settings.create_students:
            logger.info("single sign-on refused: no account matches the identity")
            return SsoOutcome(problem=_("There is no account here for this university account yet. Ask your "
                                        "curator or the Anti-corruption Compliance Service to add you."))
        try:
            with db.session.begin_nested():
                user, problem = _create_student(claims, settings, key)
            created = user is not None
        except IntegrityError:
            # The same person signing in twice at the same moment: the other sign-in created the account.
            user, problem = _find_account(settings, key), _("Your account was being created at this very moment. Please sign in again.")
        if user is None:
            return SsoOutcome(problem=problem)
    if not user.active:
        logger.info("single sign-on refused: account %s is deactivated", user.id)
        return SsoOutcome(problem=_("This account is deactivated. Ask the Anti-corruption Compliance Service "
                                    "if you think this is a mistake."))
    if settings.roles_claim:
        apply_role_claim(user, claims, settings)
    return SsoOutcome(user=user, created=created)


def _display_name(claims: dict, settings: SsoSettings, email: str) -> str:
    name = _text_claim(claims, settings.name_claim)
    if not name:
        name = " ".join(part for part in (_text_claim(claims, "given_name"), _text_claim(claims, "family_name")) if part)
    return name or email.split("@")[0]


def _create_student(claims: dict, settings: SsoSettings, key: str) -> tuple[User | None, str | None]:
    """Create a student account from the claims (e-mail, name, student id, group and faculty)."""
    email = key if settings.match_claim == EMAIL else _email_claim(claims)
    if not email:
        return None, _("The university account did not tell us a verified e-mail address, so no account can be "
                       "created for you. Ask the Anti-corruption Compliance Service.")
    if settings.match_claim != EMAIL and db.session.execute(
            select(User.id).where(User.email == email)).first() is not None:
        # The e-mail is taken by an account with another (or no) student id: an officer decides which is right.
        logger.warning("single sign-on refused: the e-mail of a new identity belongs to another account")
        return None, _("An account with your e-mail address already exists under another student id. Ask the "
                       "Anti-corruption Compliance Service to correct it.")
    user = User(email=email, full_name=_display_name(claims, settings, email),
                student_id=key if settings.match_claim != EMAIL else None,
                group=_group_from_claims(claims, settings))
    user.set_roles({STUDENT})
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", subject=f"user:{user.id}",
                 payload={"source": "single sign-on", "matched_by": settings.match_claim})
    _people_changed()
    logger.info("student account %s created at single sign-on", user.id)
    return user, None


def _spellings(text: str) -> list[str]:
    # SQLite's lower() knows only ASCII letters: compare with the usual spellings instead (ЭЭ-24-1, ээ-24-1).
    return list(dict.fromkeys([text, text.upper(), text.lower(), text.title()]))


def _group_from_claims(claims: dict, settings: SsoSettings) -> Group | None:
    """The group the claims name: an existing one by its code, or a new one in the named faculty."""
    code = _text_claim(claims, settings.group_claim)[:60]
    if not code:
        return None
    group = db.session.execute(select(Group).where(Group.code.in_(_spellings(code)))
                               .order_by(Group.id).limit(1)).scalar_one_or_none()
    if group is not None:
        return group
    faculty_name = _text_claim(claims, settings.faculty_claim)
    if not faculty_name:
        return None   # a group is created only inside a faculty, as the roster import does
    faculty = db.session.execute(select(Faculty).where(Faculty.name.in_(_spellings(faculty_name)))
                                 .order_by(Faculty.id).limit(1)).scalar_one_or_none()
    if faculty is None:
        faculty = Faculty(name=faculty_name)
        db.session.add(faculty)
    group = Group(code=code, faculty=faculty)
    db.session.add(group)
    return group


def claimed_roles(claims: dict, settings: SsoSettings) -> set[str]:
    """The platform roles a roles claim holds (a list, or a string separated by spaces or commas)."""
    value = claims.get(settings.roles_claim) if settings.roles_claim else None
    if isinstance(value, str):
        value = re.split(r"[,; ]+", value)
    if not isinstance(value, list):
        return set()
    return {item.strip().casefold() for item in value if isinstance(item, str)} & set(ROLES)


def apply_role_claim(user: User, claims: dict, settings: SsoSettings) -> bool:
    """Grant and withdraw the managed roles as the roles claim says; other roles stay. True if changed."""
    claimed = claimed_roles(claims, settings) & settings.managed_roles
    before = user.roles
    after = (before - settings.managed_roles) | claimed
    if after == before:
        return False
    user.set_roles(after)
    audit.record("role.changed", subject=f"user:{user.id}",
                 payload={"added": sorted(after - before), "removed": sorted(before - after),
                          "source": "single sign-on"})
    _people_changed()
    logger.info("roles of user %s changed at single sign-on: %s -> %s", user.id, sorted(before), sorted(after))
    return True

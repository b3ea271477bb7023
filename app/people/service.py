"""Rules about people: e-mail normalisation, sign-in, password links, roles, rosters, headcounts."""
import csv
import io
import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload

from app.audit import service as audit
from app.core import events
from app.extensions import db
from app.people.passwords import spend_the_same_time
from app.people.models import (
    ROLES, STAFF, STUDENT, Faculty, Group, Headcount, StaffUnit, User, UserRole,
)

logger = logging.getLogger(__name__)

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


# --- e-mail -----------------------------------------------------------------

def normalise_email(raw: str) -> str:
    """Trim, apply Unicode NFKC and case-fold, so look-alike spellings map to one account."""
    return unicodedata.normalize("NFKC", raw or "").strip().casefold()


def valid_email(email: str) -> bool:
    return bool(EMAIL_PATTERN.match(email)) and len(email) <= 254


def find_user_by_email(raw_email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(raw_email))
    ).scalar_one_or_none()


# --- sign-in ------------------------------------------------------------------

def authenticate(raw_email: str, password: str) -> User | None:
    """Return the active person whose e-mail and password match, else None.

    The person's roles are not read with them (their usual second statement): signing in needs none of them,
    and the next request reads the person with their roles anyway."""
    user = db.session.execute(select(User).options(lazyload(User.role_rows))
                              .where(User.email == normalise_email(raw_email))).scalar_one_or_none()
    if user is None:
        spend_the_same_time(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    if db.session.is_modified(user):   # the hash was upgraded to the current scheme
        db.session.commit()
    return user


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().casefold() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    folded = normalise_email(password)
    if email and (folded in {email, email.split("@")[0]} or email.split("@")[0] in folded and len(email.split("@")[0]) >= 4):
        return _("Do not use your e-mail address as a password.")
    if folded in common_passwords() or len(set(folded)) <= 2:
        return _("This password is among the most common ones. Choose another.")
    return None


def _link_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="set-password")


def make_password_token(user: User, secret_key: str) -> str:
    """Sign a one-time token; it dies when the password (hence the session token) changes."""
    if user.erased:
        raise ValueError("an erased account gets no sign-in link")
    return _link_serializer(secret_key).dumps({"id": user.id, "s": user.session_token})


def user_for_password_token(token: str, secret_key: str, max_age: int) -> User | None:
    """Return the person a valid, unused, unexpired token belongs to."""
    try:
        data = _link_serializer(secret_key).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or not user.active or user.erased or user.session_token != data.get("s"):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Store a new password and sign the person out of every other session."""
    user.set_password(password)
    db.session.commit()
    logger.info("password set for user %s", user.id)


# --- roles and accounts -------------------------------------------------------

def change_roles(user: User, roles: set[str], actor: User) -> bool:
    """Replace a person's roles, writing the change to the audit log. Return True if changed."""
    roles = {role for role in roles if role in ROLES}
    before = user.roles
    if roles == before:
        return False
    user.set_roles(roles)
    audit.record(
        "role.changed", actor=actor, subject=f"user:{user.id}",
        payload={"added": sorted(roles - before), "removed": sorted(before - roles)},
    )
    _people_changed()
    db.session.commit()
    logger.info("roles of user %s changed by %s: %s -> %s", user.id, actor.id, sorted(before), sorted(roles))
    return True


def set_active(user: User, active: bool, actor: User) -> None:
    """Activate or deactivate an account; deactivation ends its sessions."""
    if user.active == active:
        return
    if active and user.erased:
        raise ValueError("an erased account cannot be activated again")
    user.active = active
    _people_changed()
    if not active:
        user.end_all_sessions()
    audit.record("account.activated" if active else "account.deactivated",
                 actor=actor, subject=f"user:{user.id}")
    db.session.commit()


def search_people(*, text: str = "", faculty_id: int | None = None, group_id: int | None = None,
                  role: str | None = None, page: int = 1, per_page: int = 50):
    """Return (people, total) matching the filters, one page, ordered by name."""
    query = select(User).outerjoin(Group, User.group_id == Group.id).outerjoin(
        StaffUnit, User.staff_unit_id == StaffUnit.id
    )
    if text:
        like = f"%{text.strip().casefold()}%"
        query = query.where(or_(func.lower(User.full_name).like(like), User.email.like(like),
                                User.student_id.like(like)))
    if faculty_id:
        query = query.where(or_(Group.faculty_id == faculty_id, StaffUnit.faculty_id == faculty_id))
    if group_id:
        query = query.where(User.group_id == group_id)
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    people = db.session.execute(
        query.order_by(User.full_name, User.id).limit(per_page).offset((page - 1) * per_page)
        .options(db.selectinload(User.group).selectinload(Group.faculty),
                 db.selectinload(User.staff_unit))
    ).scalars().all()
    return people, total


# --- imports ------------------------------------------------------------------

@dataclass
class ImportReport:
    """What an import did, row by row: counts and the reasons for each rejected row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


def read_csv(text: str, required: set[str]) -> tuple[list[dict], str | None]:
    """Parse CSV text into dicts with lower-cased headers; return (rows, problem)."""
    text = text.lstrip("\ufeff").replace("\x00", "")   # NUL is never data, and PostgreSQL refuses it
    header = text.split("\n", 1)[0]
    # Spreadsheets in locales with a decimal comma export ";"-separated CSV.
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if not reader.fieldnames:
            return [], _("The file is empty.")
        headers = {name.strip().casefold().replace(" ", "_") for name in reader.fieldnames if name}
        missing = required - headers
        if missing:
            return [], _("Missing column(s): %(cols)s.", cols=", ".join(sorted(missing)))
        rows = []
        for raw in reader:
            rows.append({
                (key or "").strip().casefold().replace(" ", "_"): (value or "").strip()
                if isinstance(value, str) else ""
                for key, value in raw.items()
            })
    except csv.Error as error:
        return [], _("The file is not valid CSV (line %(line)d: %(error)s).", line=reader.line_num, error=str(error))
    return rows, None


class _Structure:
    """Faculties, groups and staff units by name, loaded once and created on demand."""

    def __init__(self):
        self.faculties = {f.name.casefold(): f for f in db.session.execute(select(Faculty)).scalars()}
        self.groups = {g.code.casefold(): g for g in db.session.execute(select(Group)).scalars()}
        self.units = {u.name.casefold(): u for u in db.session.execute(select(StaffUnit)).scalars()}

    def faculty(self, name: str) -> Faculty:
        key = name.casefold()
        if key not in self.faculties:
            self.faculties[key] = Faculty(name=name)
            db.session.add(self.faculties[key])
        return self.faculties[key]

    def group(self, code: str, faculty_name: str) -> tuple[Group | None, str | None]:
        existing = self.groups.get(code.casefold())
        if existing is not None:
            if faculty_name and existing.faculty.name.casefold() != faculty_name.casefold():
                return None, _("group %(group)s belongs to faculty %(faculty)s",
                               group=existing.code, faculty=existing.faculty.name)
            return existing, None
        if not faculty_name:
            return None, _("a new group needs its faculty")
        group = Group(code=code, faculty=self.faculty(faculty_name))
        db.session.add(group)
        self.groups[code.casefold()] = group
        return group, None

    def unit(self, name: str, faculty_name: str) -> StaffUnit:
        key = name.casefold()
        if key not in self.units:
            self.units[key] = StaffUnit(name=name, faculty=self.faculty(faculty_name) if faculty_name else None)
            db.session.add(self.units[key])
        return self.units[key]


def parse_roles(text: str) -> tuple[set[str], str | None]:
    roles = {part.strip().casefold() for part in re.split(r"[;,| ]+", text or "") if part.strip()}
    unknown = roles - set(ROLES)
    if unknown:
        return set(), _("unknown role(s): %(roles)s", roles=", ".join(sorted(unknown)))
    return roles or {STUDENT}, None


ROSTER_COLUMNS = {"email", "full_name"}


def import_roster(text: str, *, actor: User | None, dry_run: bool = False) -> ImportReport:
    """Create or update people from roster CSV text; bad rows are reported, good rows kept.

    Columns: email, full_name (required); faculty, group, roles (default "student"),
    staff_unit, student_id (optional). Roles listed are added to a person's roles;
    removing a role is done on the person's page. With dry_run nothing is written.
    """
    report = ImportReport(dry_run=dry_run)
    rows, problem = read_csv(text, ROSTER_COLUMNS)
    if problem:
        report.rejected.append((1, problem))
        return report
    return import_roster_rows(rows, actor=actor, dry_run=dry_run, report=report)


def import_roster_rows(rows: list[dict], *, actor: User | None, dry_run: bool = False, first_line: int = 2,
                       report: ImportReport | None = None, seen: dict[str, int] | None = None) -> ImportReport:
    """Import parsed roster rows (see import_roster); `first_line` is the file's line of the first row.

    A long roster is imported in slices (a background job): each slice commits, `seen` carries the
    e-mails of earlier slices so a repeated e-mail is still rejected, and running a slice again
    changes nothing (people are matched by e-mail)."""
    report = report or ImportReport(dry_run=dry_run)
    emails = [normalise_email(row.get("email", "")) for row in rows]
    existing = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        existing.update({u.email: u for u in db.session.execute(
            select(User).where(User.email.in_(chunk))).scalars()})
    structure = _Structure()
    seen = {} if seen is None else seen
    student_ids = {sid for (sid,) in db.session.execute(
        select(User.student_id).where(User.student_id.is_not(None)))}
    role_changes = []
    for line, (row, email) in enumerate(zip(rows, emails), start=first_line):
        full_name = " ".join(row.get("full_name", "").split())
        faculty_name = row.get("faculty", "")
        group_code = row.get("group", "")
        unit_name = row.get("staff_unit", "")
        student_id = row.get("student_id", "") or None
        roles, role_problem = parse_roles(row.get("roles", ""))
        reason = None
        if not valid_email(email):
            reason = _("invalid e-mail address “%(email)s”", email=row.get("email", ""))
        elif email in seen:
            reason = _("the same e-mail as line %(line)d", line=seen[email])
        elif not full_name:
            reason = _("full name is missing")
        elif role_problem:
            reason = role_problem
        elif STUDENT in roles and not group_code:
            reason = _("a student needs a group")
        if reason is None and student_id:
            user_now = existing.get(email)
            if student_id in student_ids and (user_now is None or user_now.student_id != student_id):
                reason = _("student id %(sid)s is already used by someone else", sid=student_id)
        group = None
        if reason is None and group_code:
            group, reason = structure.group(group_code, faculty_name)
        if reason:
            report.rejected.append((line, reason))
            continue
        seen[email] = line
        user = existing.get(email)
        if user is None:
            user = User(email=email, full_name=full_name, student_id=student_id)
            user.set_roles(roles)
            db.session.add(user)
            existing[email] = user
            report.created += 1
        else:
            changed = user.full_name != full_name
            user.full_name = full_name
            if student_id and user.student_id != student_id:
                user.student_id = student_id
                changed = True
            added = roles - user.roles
            if added:
                role_changes.append((user, sorted(added)))
                user.set_roles(user.roles | roles)
                changed = True
            if group is not None and user.group_id != group.id:
                changed = True
            if changed or (unit_name and (user.staff_unit is None or user.staff_unit.name.casefold() != unit_name.casefold())):
                report.updated += 1
            else:
                report.unchanged += 1
        if student_id:
            student_ids.add(student_id)
        if group is not None:
            user.group = group
        if unit_name:
            user.staff_unit = structure.unit(unit_name, faculty_name)
        elif STAFF in roles and user.staff_unit is None and faculty_name:
            user.staff_unit = structure.unit(faculty_name, faculty_name)
    if dry_run:
        db.session.rollback()
        return report
    db.session.flush()
    _people_changed()
    for user, added in role_changes:
        audit.record("role.changed", actor=actor, subject=f"user:{user.id}",
                     payload={"added": added, "removed": [], "via": "roster import"})
    if report.created or report.updated:
        audit.record("roster.imported", actor=actor, payload={
            "created": report.created, "updated": report.updated, "rejected": len(report.rejected)})
    db.session.commit()
    logger.info("roster import by %s: %s created, %s updated, %s rejected",
                getattr(actor, "id", None), report.created, report.updated, len(report.rejected))
    return report


HEADCOUNT_COLUMNS = {"headcount"}


def import_headcounts(text: str, *, actor: User | None, today: date, dry_run: bool = False) -> ImportReport:
    """Record official headcounts from CSV: faculty, group or staff_unit, headcount, as_of (optional)."""
    report = ImportReport(dry_run=dry_run)
    rows, problem = read_csv(text, HEADCOUNT_COLUMNS)
    if problem:
        report.rejected.append((1, problem))
        return report
    structure = _Structure()
    current = current_headcounts(today)
    for line, row in enumerate(rows, start=2):
        group_code, unit_name = row.get("group", ""), row.get("staff_unit", "")
        raw_value, raw_date = row.get("headcount", ""), row.get("as_of", "")
        reason = None
        if bool(group_code) == bool(unit_name):
            reason = _("give either a group or a staff unit")
        elif not raw_value.isdigit():
            reason = _("headcount must be a whole number ≥ 0, not “%(value)s”", value=raw_value)
        effective = today
        if reason is None and raw_date:
            try:
                effective = date.fromisoformat(raw_date)
            except ValueError:
                reason = _("as_of must be a date like 2024-09-01, not “%(value)s”", value=raw_date)
        if reason is None and group_code:
            scope, reason = structure.group(group_code, row.get("faculty", ""))
        elif reason is None:
            scope = structure.unit(unit_name, row.get("faculty", ""))
        if reason:
            report.rejected.append((line, reason))
            continue
        value = int(raw_value)
        db.session.flush()
        key = ("group", scope.id) if group_code else ("unit", scope.id)
        if current.get(key, (None,))[0] == value and not raw_date:
            report.unchanged += 1
            continue
        record_headcount(scope, value, effective, actor)
        current[key] = (value, effective)
        report.created += 1
    if dry_run:
        db.session.rollback()
        return report
    db.session.commit()
    return report


def record_headcount(scope: Group | StaffUnit, value: int, effective_from: date, actor: User | None) -> Headcount:
    """Add an official headcount for a group or a staff unit (history is kept)."""
    row = Headcount(value=value, effective_from=effective_from,
                    recorded_by_id=getattr(actor, "id", None))
    if isinstance(scope, Group):
        row.group_id = scope.id
    else:
        row.staff_unit_id = scope.id
    db.session.add(row)
    _people_changed()
    return row


def _people_changed() -> None:
    """Headcounts or the people registered changed: coverage figures must be computed afresh."""
    events.announce(events.people_changed, "people")


def group_headcount(group_id: int, as_of: date) -> int | None:
    """The official headcount of one group in force on `as_of`; None when none is recorded."""
    return db.session.execute(select(Headcount.value).where(
        Headcount.group_id == group_id, Headcount.effective_from <= as_of)
        .order_by(Headcount.effective_from.desc(), Headcount.id.desc()).limit(1)).scalar()


def current_headcounts(as_of: date) -> dict[tuple[str, int], tuple[int, date]]:
    """Map ("group"|"unit", id) to (headcount, effective date) in force on `as_of`.

    One query: the latest row per scope whose effective date is not after `as_of`.
    """
    # Among rows in force, the one with the latest effective date (then the latest recorded).
    ranked = (
        select(Headcount.group_id, Headcount.staff_unit_id, Headcount.value, Headcount.effective_from,
               func.row_number().over(
                   partition_by=(Headcount.group_id, Headcount.staff_unit_id),
                   order_by=(Headcount.effective_from.desc(), Headcount.id.desc()),
               ).label("rank"))
        .where(Headcount.effective_from <= as_of)
    ).subquery()
    result = {}
    for group_id, unit_id, value, effective in db.session.execute(
        select(ranked.c.group_id, ranked.c.staff_unit_id, ranked.c.value, ranked.c.effective_from)
        .where(ranked.c.rank == 1)
    ):
        key = ("group", group_id) if group_id is not None else ("unit", unit_id)
        result[key] = (value, effective)
    return result


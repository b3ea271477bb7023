"""People, their roles, and the university's structure: faculties, groups, staff units."""
import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.extensions import db
from app.people.passwords import hash_password, verify_password

STUDENT = "student"
STAFF = "staff"
CURATOR = "curator"
JURY = "jury"
ADMIN = "admin"
COORDINATOR = "coordinator"      # runs the "Sanaly Urpak" club: memberships, volunteering, media
EDITOR = "editor"                # a teacher or methodologist who edits the content items given to them
DPO = "dpo"                      # the data protection officer: reads the access log and nothing else
ROLES = (STUDENT, STAFF, CURATOR, JURY, ADMIN, COORDINATOR, DPO, EDITOR)


def display_name(full_name: str, mode: str) -> str:
    """A person's name as they chose to appear on boards: in full, or by initials ("A. B.")."""
    if mode == "initials":
        return " ".join(part[0] + "." for part in full_name.split() if part)
    return full_name


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


group_curators = Table(
    "group_curators",
    db.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


# The e-mail domain an erased account is given (RFC 2606 reserves .invalid): it can never receive mail or sign in.
ERASED_DOMAIN = "@erased.invalid"

class Faculty(db.Model):
    __tablename__ = "faculties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(40), default="")

    groups: Mapped[list["Group"]] = relationship(back_populates="faculty", order_by="Group.code")

    def __repr__(self) -> str:
        return f"<Faculty {self.name}>"


class Group(db.Model):
    """An academic group of students, e.g. ЭЭ-24-1."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    faculty_id: Mapped[int] = mapped_column(ForeignKey("faculties.id"), index=True)

    faculty: Mapped[Faculty] = relationship(back_populates="groups")
    curators: Mapped[list["User"]] = relationship(
        secondary=group_curators, back_populates="curated_groups", order_by="User.full_name"
    )
    students: Mapped[list["User"]] = relationship(
        back_populates="group", foreign_keys="User.group_id", order_by="User.full_name"
    )

    def __repr__(self) -> str:
        return f"<Group {self.code}>"


class StaffUnit(db.Model):
    """A structural division whose employees form the employees population."""

    __tablename__ = "staff_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id"), index=True)

    faculty: Mapped[Faculty | None] = relationship()


class Headcount(db.Model):
    """An official headcount of a group or a staff unit, effective from a date.

    Rows are kept, never overwritten, so a report for a past period uses the
    headcount that was in force then.
    """

    __tablename__ = "headcounts"
    __table_args__ = (
        CheckConstraint(
            "(group_id IS NULL) <> (staff_unit_id IS NULL)", name="exactly_one_scope"
        ),
        CheckConstraint("value >= 0", name="not_negative"),
        Index("ix_headcounts_group_effective", "group_id", "effective_from"),
        Index("ix_headcounts_unit_effective", "staff_unit_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    staff_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_units.id", ondelete="CASCADE")
    )
    value: Mapped[int]
    effective_from: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="")   # "" until the person chooses one
    # How the person appears on XP leaderboards: "name", "initials" or "hidden".
    leaderboard_display: Mapped[str] = mapped_column(String(10), default="name")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    staff_unit_id: Mapped[int | None] = mapped_column(ForeignKey("staff_units.id"), index=True)
    # Part of the login cookie: rotating it signs the person out everywhere.
    session_token: Mapped[str] = mapped_column(String(40), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    group: Mapped[Group | None] = relationship(back_populates="students", foreign_keys=[group_id])
    staff_unit: Mapped[StaffUnit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    curated_groups: Mapped[list[Group]] = relationship(
        secondary=group_curators, back_populates="curators", order_by="Group.code"
    )

    # --- roles -----------------------------------------------------------
    @property
    def erased(self) -> bool:
        """Whether the person's data has been erased: the account stays only as a pseudonym in the figures."""
        return self.email.endswith(ERASED_DOMAIN)

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles) -> None:
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(UserRole(role=role))

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    # --- sign-in ---------------------------------------------------------
    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive people
        return self.active

    @property
    def is_authenticated(self) -> bool:
        """A person loaded from a session is signed in (the loader refuses inactive people); asking must not
        reload the row after a commit expired it."""
        return True

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        """Check the password; a hash of an older scheme is upgraded in place (the caller commits)."""
        matched, upgrade = verify_password(self.password_hash or "", password)
        if matched and upgrade:
            self.password_hash = hash_password(password)
        return matched

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    # --- structure -------------------------------------------------------
    @property
    def faculty(self) -> Faculty | None:
        if self.group is not None:
            return self.group.faculty
        if self.staff_unit is not None:
            return self.staff_unit.faculty
        return None

    def __repr__(self) -> str:
        return f"<User {self.email}>"

"""The demo instance: two faculties, four groups with headcounts, and the fixed demo accounts.

`flask --app wsgi demo` builds it from its parts: the plan moved to today's academic year
(`plan`), contests (`contests`), offline events (`events`), deliverables with evidence
(`deliverables`), surveys and reports (`surveys`) and the club (`club`); `seed-scale` (`scale`) builds a national-size instance for measuring instead.
"""
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.audit.keys import ensure_signing_key
from app.authoring import service as authoring
from app.core.clock import now
from app.courses import service as courses
from app.courses.models import Course
from app.demo import club as demo_club
from app.demo import contests as demo_contests
from app.demo import deliverables as demo_deliverables
from app.demo import events as demo_events
from app.demo import filings as demo_filings
from app.demo import risks as demo_risks
from app.demo import surveys as demo_surveys
from app.demo.plan import build_plan
from app.extensions import db
from app.i18n import compile_catalogs
from app.loading import load_content
from app.people import service as people
from app.people.models import Group, Headcount, StaffUnit, User
from app.privacy import demo as demo_privacy

DEMO_PASSWORD = "demo-password"
ENERGY = "Faculty of Energy, Automation and Telecommunications"
MINING = "Faculty of Mining"
ACS_UNIT = "Anti-corruption Compliance Service"

# email, full name, faculty, group, roles, staff unit
ACCOUNTS = [
    ("admin@sanaly.test", "Gulnara Abenova", "", "", "admin;staff", ACS_UNIT),
    ("curator@sanaly.test", "Marat Seitkali", ENERGY, "", "curator;coordinator;staff", "Department of Power Engineering"),
    ("jury1@sanaly.test", "Dana Zhaksylykova", ENERGY, "", "jury;staff", "Department of Automation"),
    ("jury2@sanaly.test", "Yerlan Nurpeisov", MINING, "", "jury;staff", "Department of Mine Surveying"),
    ("jury3@sanaly.test", "Saule Tokhtarova", "", "", "jury;staff", ACS_UNIT),
    ("editor@sanaly.test", "Aliya Kenzhebekova", ENERGY, "", "editor;staff", "Department of Power Engineering"),
]
# What the demo's editor is given to edit (kind, slug): the essay contest.
EDITOR_GRANTS = {"editor@sanaly.test": [("contest", "essay-2024-2025")]}
STUDENTS = [
    ("Aruzhan Bekova", ENERGY, "ЭЭ-24-1"), ("Timur Akhmetov", ENERGY, "ЭЭ-24-1"),
    ("Madina Ospanova", ENERGY, "ЭЭ-24-1"), ("Daniyar Kassymov", ENERGY, "ЭЭ-24-2"),
    ("Aigerim Nurlanova", ENERGY, "ЭЭ-24-2"), ("Nurlan Sarsenbayev", ENERGY, "ЭЭ-24-2"),
    ("Dinara Zhumabekova", MINING, "ГД-24-1"), ("Alikhan Tulegenov", MINING, "ГД-24-1"),
    ("Kamila Ismailova", MINING, "ГД-24-1"), ("Yerbol Mukhametov", MINING, "ГД-24-2"),
    ("Zarina Abdrakhmanova", MINING, "ГД-24-2"), ("Sanzhar Baimukhanov", MINING, "ГД-24-2"),
]
GROUP_HEADCOUNTS = {"ЭЭ-24-1": 25, "ЭЭ-24-2": 24, "ГД-24-1": 22, "ГД-24-2": 20}
UNIT_HEADCOUNTS = {ACS_UNIT: 6, "Department of Power Engineering": 31, "Department of Automation": 27,
                   "Department of Mine Surveying": 24}
CURATED = {"curator@sanaly.test": ["ЭЭ-24-1", "ЭЭ-24-2"]}


def _roster_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "full_name", "faculty", "group", "roles", "staff_unit"])
    writer.writerows(ACCOUNTS)
    for number, (name, faculty, group) in enumerate(STUDENTS, start=1):
        writer.writerow([f"student{number}@sanaly.test", name, faculty, group, "student", ""])
    return out.getvalue()


@dataclass
class DemoReport:
    """What `flask --app wsgi demo` says: the steps (with --verbose) and the summary (always)."""

    steps: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


STAFF_COURSE = "anti-corruption-for-university-staff"
STAFF_COURSE_LESSONS = {"curator@sanaly.test": 2, "jury1@sanaly.test": 1}   # lessons each has done


def _staff_course_progress(users: dict, moment) -> str:
    """Some of the course for staff done by demo employees, so their pages show progress (once)."""
    course = db.session.execute(select(Course).where(Course.slug == STAFF_COURSE)).scalar_one_or_none()
    if course is None:
        return "course for staff: not in the content"
    lessons = courses.active_lessons(course.id)
    for email, count in STAFF_COURSE_LESSONS.items():
        for lesson in lessons[:count]:
            courses.complete_lesson(users[email], lesson, via="check", now=moment)
    return "course for staff: " + ", ".join(f"{email} {count} of {len(lessons)} lessons"
                                           for email, count in STAFF_COURSE_LESSONS.items())


def build_demo() -> DemoReport:
    """Create or refresh the demo data around today's date; safe to run any number of times."""
    report = DemoReport()
    created_key = ensure_signing_key()
    compiled = compile_catalogs()
    if compiled:
        report.steps.append("translations compiled: " + ", ".join(compiled))
    lines, problems = load_content()
    if problems:
        raise problems[0]
    report.steps.extend(lines)
    calendar, line = build_plan(Path(current_app.config["CONTENT_FOLDER"]), now().replace(microsecond=0))
    report.steps.append(line)

    roster = people.import_roster(_roster_csv(), actor=None)
    if roster.rejected:
        raise RuntimeError(f"demo roster rejected: {roster.rejected}")
    report.steps.append(f"demo people: {roster.created} created, {roster.updated + roster.unchanged} refreshed")

    users = {u.email: u for u in db.session.execute(
        select(User).where(User.email.like("%@sanaly.test"))).scalars()}
    for user in users.values():
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.active = True
    groups = {g.code: g for g in db.session.execute(select(Group)).scalars()}
    for email, codes in CURATED.items():
        for code in codes:
            if users[email] not in groups[code].curators:
                groups[code].curators.append(users[email])

    # Official headcounts from the first day of the demo's academic year (older figures stay in force).
    start = calendar.plan.starts_on
    known = {(h.group_id, h.staff_unit_id) for h in db.session.execute(select(Headcount)).scalars()}
    for code, value in GROUP_HEADCOUNTS.items():
        if (groups[code].id, None) not in known:
            people.record_headcount(groups[code], value, start, None)
    units = {u.name: u for u in db.session.execute(select(StaffUnit)).scalars()}
    for name, value in UNIT_HEADCOUNTS.items():
        if (None, units[name].id) not in known:
            people.record_headcount(units[name], value, start, None)
    db.session.commit()

    admin = users["admin@sanaly.test"]
    for email, items in EDITOR_GRANTS.items():
        for kind, slug in items:
            authoring.grant(users[email], kind, slug, by=admin, now=now())
    db.session.commit()
    steps, _summary = demo_privacy.build(users, admin, now())
    report.steps.extend(steps)
    db.session.commit()
    for steps, summary in (demo_contests.build(calendar, users, admin, Path(current_app.config["UPLOAD_FOLDER"])),
                           demo_events.build(calendar, users, admin),
                           demo_risks.build(calendar, users, admin, Path(current_app.config["UPLOAD_FOLDER"])),
                           demo_deliverables.build(calendar, users, admin, Path(current_app.config["UPLOAD_FOLDER"])),
                           demo_surveys.build(calendar, users, admin),
                           demo_club.build(calendar, users, users["curator@sanaly.test"], admin),
                           demo_filings.build(calendar, admin)):
        report.steps.extend(steps)
        report.summary.extend(summary)

    report.steps.append(_staff_course_progress(users, calendar.now))

    plan = calendar.plan
    report.summary[:0] = [f"Demo ready for {calendar.today.isoformat()}: plan {plan.academic_year} ({plan.slug}), "
                          f"{plan.starts_on.isoformat()} to {plan.ends_on.isoformat()}, times in {current_app.config['TIME_ZONE']}."]
    report.summary.append("")
    report.summary.append(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email, name, *_rest, in ACCOUNTS:
        report.summary.append(f"  {email:<26} {name} ({_rest[2].replace(';', ', ')})")
    for number, (name, _faculty, group) in enumerate(STUDENTS, start=1):
        report.summary.append(f"  {'student%d@sanaly.test' % number:<26} {name} (student, {group})")
    report.summary.append("")
    if created_key:
        report.summary.append(f"Audit signing key created: {created_key} (back it up apart from the database).")
    report.summary.append("Start the server with:  flask --app wsgi run")
    report.summary.append("Then open:              http://127.0.0.1:5000/")
    return report

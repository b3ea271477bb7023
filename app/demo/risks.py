"""Demo data for section 1: a risk register (not yet approved), media items, hearings of divisions, the registers.

The map is left unapproved so that the demo can walk through adding a risk and approving the map (which
submits the plan's "risk-map" and "risk-analysis" deliverables). Each month of the year that has ended is
filed from the media log to the plan's "media-log" deliverable, and all but the last are accepted.
"""
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.plan import deliverables
from app.plan.deliverable_models import ACCEPTED, SUBMITTED
from app.people.models import StaffUnit
from app.plan.models import UNITS, Activity
from app.risks import service
from app.risks.models import DeclarationDuty, EquatedPosition, Hearing, MediaItem, Risk

RISKS = [
    # area, process, unit, description, scheme, factors, positions, likelihood, impact, owner, mitigation, status
    ("admission and examinations", "Admission", "Anti-corruption Compliance Service",
     "A grant place or a higher score obtained through an intermediary",
     "A member of the admission commission raises an interview score for a payment passed through a relative",
     "Oral interviews without a recording; one examiner decides", "Admission commission members", 3, 5,
     "Executive secretary of the admission commission", "Record interviews; two examiners for every interview",
     "measures planned"),
    ("admission and examinations", "Examination session", "Department of Power Engineering",
     "A grade given for money or a gift during the session",
     "A teacher hints that a 'gift' settles a failed exam; the retake is set with the same examiner",
     "The same examiner for a retake; paper gradebooks", "Teachers, heads of departments", 3, 4,
     "Head of the Department of Power Engineering", "Retakes before a commission; anonymous written papers",
     "in progress"),
    ("procurement", "Procurement of laboratory equipment", "Department of Automation",
     "Tender terms written for one supplier",
     "The technical specification copies a single supplier's catalogue so that others cannot qualify",
     "Specifications drafted by the user alone", "Head of laboratory, procurement officer", 2, 4,
     "Head of procurement", "Specifications reviewed by a second department", "identified"),
    ("personnel", "Hiring of teaching staff", "Department of Mine Surveying",
     "A relative hired without a competition", "A vacancy is filled by a 'temporary' contract that is extended",
     "No public vacancy notice for temporary posts", "Heads of departments, HR officer", 2, 3,
     "Head of human resources", "Publish every vacancy; conflict-of-interest declaration by the panel", "identified"),
    ("finance and property", "Dormitory places", "Anti-corruption Compliance Service",
     "A dormitory place allocated out of turn for a payment", "The waiting list is not published; places are 'found'",
     "The list is kept by one person", "Dormitory manager", 4, 2, "Vice-rector for social affairs",
     "Publish the waiting list weekly", "mitigated"),
]
MEDIA = [
    # days ago, source, link, subject, tone, action
    (3, "tengrinews.kz", "https://tengrinews.kz/", "Students of a Karaganda university report fees for retakes", "negative",
     "Facts checked with the Department of Power Engineering; the ACS contacted the students"),
    (6, "Instagram", "https://www.instagram.com/", "A post asks where to report a bribe demanded at an exam", "neutral",
     "Answered with the reporting channel"),
    (12, "Kazinform", "https://www.inform.kz/", "The university's integrity hour covered by the national agency", "positive", ""),
    (35, "Орталық Қазақстан", "", "Round table on academic integrity held at the university", "positive", ""),
    (40, "Telegram channel", "", "Rumours about paid places in the dormitory", "negative", "Waiting list published"),
]
HEARD = [("Department of Power Engineering", 40, "Heard on examination retakes and gifts; the head reported the new "
          "commission rules. Decided: retakes only before a commission from the next session."),
         ("Department of Automation", 15, "Heard on procurement of laboratory equipment. Decided: specifications "
          "reviewed by a second department.")]
DECLARANTS = [("admin@sanaly.test", "Head of the ACS", 20), ("curator@sanaly.test", "Head of department", 10),
              ("jury1@sanaly.test", "Associate professor", None), ("jury2@sanaly.test", "Head of department", None)]
POSITIONS = [("Rector", "", "Heads a state university: organisational and administrative functions"),
             ("Chief accountant", "", "Disposes of budget funds"),
             ("Head of procurement", "", "Organises public procurement")]


def _file_media_months(calendar, admin, uploads: Path) -> int:
    """File the summary of each month of the plan year that has ended; accept all but the last. Return how many."""
    plan = calendar.plan
    first = date(plan.starts_on.year, plan.starts_on.month, 1)
    this_month = date(calendar.today.year, calendar.today.month, 1)
    filed = []
    while first < this_month:
        following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        moment = calendar.past(calendar.at(following + timedelta(days=2), 10))
        try:
            filed.append((service.file_media_summary(first.year, first.month, admin, moment, uploads), moment))
        except service.RisksError:         # the plan names no activity fed by the media log
            break
        first = following
    for item, moment in filed[:-1]:
        if item.status == SUBMITTED:
            deliverables.change_status(item, ACCEPTED, admin, moment + timedelta(hours=1))
    return len(filed)


def build(calendar, users: dict, admin, uploads: Path) -> tuple[list[str], list[str]]:
    """Fill section 1 once for the demo's plan year; return steps (and no summary lines)."""
    plan, now = calendar.plan, calendar.now
    if db.session.execute(select(Risk.id).where(Risk.plan_id == plan.id)).first():
        return ["section 1: already filled"], []
    units = {u.name: u for u in db.session.execute(select(StaffUnit)).scalars()}
    start = plan.starts_on

    def day(days_ago: int):
        return max(start, calendar.today - timedelta(days=days_ago))

    for area, process, unit, description, scheme, factors, positions, likelihood, impact, owner, mitigation, status in RISKS:
        service.save_risk(plan, {
            "direction": "management", "area": area, "process": process,
            "unit_id": units[unit].id if unit in units else None, "description": description, "scheme": scheme,
            "factors": factors, "positions": positions, "controls": "", "likelihood": likelihood, "impact": impact,
            "owner": owner, "mitigation": mitigation, "deadline": plan.ends_on - timedelta(days=60), "status": status,
        }, admin, now)
    for days_ago, source, link, subject, tone, action in MEDIA:
        service.record_media({"published_on": day(days_ago), "source": source, "link": link, "subject": subject,
                              "tone": tone, "action": action}, admin, now)
    hearings = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.kind == UNITS)).scalars().first()
    if hearings is not None:
        for unit, days_ago, minutes in HEARD:
            service.record_hearing(hearings, units[unit], day(days_ago), minutes, None, admin, now, None)
    for activity in service.register_activities(plan):
        if service.register_kind(activity) == service.DECLARATIONS:
            for email, position, days_ago in DECLARANTS:
                duty = service.add_declarant(activity, users[email], position, admin, now)
                if days_ago is not None:
                    service.mark_declaration(duty, day(days_ago), admin, now)
        else:
            for title, _unit, basis in POSITIONS:
                service.add_position(activity, title, None, basis, admin, now)
    db.session.flush()
    months = _file_media_months(calendar, admin, uploads)
    db.session.commit()
    counts = [db.session.query(model).count() for model in (Risk, MediaItem, Hearing, DeclarationDuty, EquatedPosition)]
    return ["section 1: {} risks, {} media items, {} hearings, {} declarants, {} positions, "
            "{} months of the media log filed".format(*counts, months)], []

"""Demo data for the club: members, an application waiting, ideas with support and answers, volunteering, clips.

student1 is left untouched so that the demo can walk through applying, proposing and volunteering.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.club import service
from app.club.models import Clip, Idea
from app.core.clock import local_date
from app.extensions import db

IDEAS = [
    (2, "dormitory", "Publish the dormitory waiting list",
     "Publish the list of students waiting for a dormitory place, with the rules and points, and update it every week.",
     "accepted and planned", "From February the list and the rules are published on the university site every Monday."),
    (4, "exams", "Exam papers with a code instead of a name",
     "Students write a code on written exam papers, so that the examiner does not know whose paper is graded.",
     "implemented", "Done for all written winter exams of the Faculty of Energy; other faculties follow in spring."),
    (8, "scholarships", "Show how scholarship points are counted",
     "Every student should see their own points for the social scholarship and how they were counted.", None, None),
]
CLIPS = [
    ("Exam without a 'gift'", "https://www.tiktok.com/@sanaly.urpaq/video/7301234567890123456",
     "A one-minute sketch: what to do when a teacher hints at a gift.", "Club members of ЭЭ-24-1"),
    ("Where to report corruption", "https://youtu.be/dQw4w9WgXcQ",
     "The ACS explains the reporting channel and what happens to a report.", "Anti-corruption Compliance Service"),
]


def build(calendar, users: dict, coordinator, admin) -> tuple[list[str], list[str]]:
    """Fill the club once, at moments of the demo's academic year; return steps (no summary lines)."""
    now = calendar.now
    start = calendar.at(calendar.plan.starts_on, 9)

    def ago(days: int):   # `days` before now, but not before the academic year began
        return max(start, now - timedelta(days=days))

    student = {n: users[f"student{n}@sanaly.test"] for n in range(2, 13)}
    for number in (2, 5, 7):
        membership = service.membership_of(student[number].id)
        if membership is None:
            membership = service.apply(student[number], "I want to help make our faculty's exams and dormitories fair.",
                                       ago(20))
        if membership.status == "pending":
            service.decide(membership, coordinator, True, "", ago(18))
    if service.membership_of(student[3].id) is None:
        service.apply(student[3], "I would like to make short videos about honest studying for first-years.", now)
    for number, category, title, body, status, answer in IDEAS:
        idea = db.session.execute(select(Idea).where(Idea.title == title)).scalar_one_or_none()
        if idea is None:
            idea = service.propose(student[number], category, title, body, ago(15))
            for supporter in range(2, 13):
                if (supporter + number) % 3:
                    service.support(student[supporter], idea, True)
            if status:
                service.answer(idea, admin, status, answer, local_date(ago(5)))
    if not service.volunteering_of(student[2].id):
        # Volunteering at the forum once it has been held, else at the year's first integrity hour.
        day, where = ((calendar.forum_day, "Forum for International Anti-Corruption Day")
                      if calendar.forum_day < calendar.today else
                      (min(calendar.plan.starts_on + timedelta(days=9), calendar.today), "Curator hour of integrity"))
        entry = service.log_volunteering(student[2], day, Decimal(3), where,
                                         "Registered guests and handed out the reporting-channel leaflets.", calendar.today)
        service.decide_volunteering(entry, coordinator, True, "", ago(8))
        service.log_volunteering(student[5], local_date(ago(3)), Decimal("1.5"), "Clean Session",
                                 "Explained to first-years how exams are checked.", calendar.today)
    for (title, url, description, credits), author in zip(CLIPS, (student[2], admin)):
        if db.session.execute(select(Clip).where(Clip.url == url)).scalar_one_or_none() is None:
            service.publish_clip(author, service.ClipInput(title, description, credits, url), None, None, calendar.today)
    return ["club: 3 members, 1 application waiting, 3 ideas, volunteering to confirm, 2 clips "
            "(curator@sanaly.test is also the club coordinator)"], []

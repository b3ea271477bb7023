"""Demo data for the club: members, an application waiting, ideas with support and answers, volunteering, clips.

student1 is left untouched so that the demo can walk through applying, proposing and volunteering.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.club import service
from app.club.models import Clip, Idea
from app.extensions import db
from app.people.models import utcnow

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


def build(users: dict, coordinator, admin) -> list[str]:
    now = utcnow()
    student = {n: users[f"student{n}@sanaly.test"] for n in range(2, 13)}
    for number in (2, 5, 7):
        membership = service.membership_of(student[number].id)
        if membership is None:
            membership = service.apply(student[number], "I want to help make our faculty's exams and dormitories fair.",
                                       now - timedelta(days=20))
        if membership.status == "pending":
            service.decide(membership, coordinator, True, "", now - timedelta(days=18))
    if service.membership_of(student[3].id) is None:
        service.apply(student[3], "I would like to make short videos about honest studying for first-years.", now)
    for number, category, title, body, status, answer in IDEAS:
        idea = db.session.execute(select(Idea).where(Idea.title == title)).scalar_one_or_none()
        if idea is None:
            idea = service.propose(student[number], category, title, body, now - timedelta(days=15))
            for supporter in range(2, 13):
                if (supporter + number) % 3:
                    service.support(student[supporter], idea, True)
            if status:
                service.answer(idea, admin, status, answer, (now - timedelta(days=5)).date())
    if not service.volunteering_of(student[2].id):
        entry = service.log_volunteering(student[2], (now - timedelta(days=10)).date(), Decimal(3),
                                         "Forum for International Anti-Corruption Day",
                                         "Registered guests and handed out the reporting-channel leaflets.", now.date())
        service.decide_volunteering(entry, coordinator, True, "", now - timedelta(days=8))
        service.log_volunteering(student[5], (now - timedelta(days=3)).date(), Decimal("1.5"), "Clean Session",
                                 "Explained to first-years how exams are checked.", now.date())
    for (title, url, description, credits), author in zip(CLIPS, (student[2], admin)):
        if db.session.execute(select(Clip).where(Clip.url == url)).scalar_one_or_none() is None:
            service.publish_clip(author, service.ClipInput(title, description, credits, url), None, None, now.date())
    return ["club: 3 members, 1 application waiting, 3 ideas, volunteering to confirm, 2 clips "
            "(curator@sanaly.test is also the club coordinator)"]

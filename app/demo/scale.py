"""A realistic, national-size instance for measuring: `flask --app wsgi seed-scale --students 20000`.

Everything is inserted in bulk (a handful of statements per table), deterministically for a seed:
faculties, groups with official headcounts, students and staff, participation spread over the
year, integrity-hour attempts with their answers, contest entries with sealed jury scores, XP,
check-ins, and the facts gamification keeps from them. Every account gets the password
`scale-password` (hashed once).
"""
import json
import random
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from app.contests.models import Contest, Entry, JuryAssignment, JuryScore
from app.coverage.models import CheckIn, Event
from app.extensions import db
from app.gamification.models import ACTIVITY, CHECKIN, ENTRY, FULL_MARKS, GameFact, XpEvent
from app.people.models import Faculty, Group, Headcount, StaffUnit, User, UserRole
from app.people.passwords import hash_password
from app.plan.models import STUDENTS, Activity, Participation
from app.plan.service import current_plan
from app.quizzes.models import AttemptAnswer, Quiz, QuizAttempt, QuizVersion
from app.quizzes.scoring import score
from app.quizzes.service import draw_layout

PASSWORD = "scale-password"
CHUNK = 5000


def _bulk(model, rows):
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start:start + CHUNK])


def _ids(model, column, values) -> dict:
    """The id of each value, in the order of the values (not the order the database returns rows in)."""
    found = {}
    values = list(values)
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        found.update(dict(db.session.execute(select(column, model.id).where(column.in_(chunk))).all()))
    return {value: found[value] for value in values if value in found}


def seed_scale(students: int, seed: int = 1) -> dict:
    """Create the instance (content must be loaded); return counts of what was made."""
    rng = random.Random(seed)
    plan = current_plan(datetime(2024, 10, 1).date())
    if plan is None:
        raise RuntimeError("load the content first (flask --app wsgi load-content)")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email.like("%@scale.test"))):
        raise RuntimeError("this database already holds a scale instance")
    others = db.session.scalar(select(func.count()).select_from(User))
    if others:
        # A measuring instance mixed into real or demo data would measure neither (and would seal
        # scores in contests that are still being judged): it gets a database of its own.
        raise RuntimeError(f"this database already holds {others} people (the demo's or real ones); "
                           "seed-scale builds a measuring instance only in an empty database "
                           "(set DATABASE_URL to a new one)")
    password_hash = hash_password(PASSWORD)
    faculty_count = max(2, round(students / 1000))
    group_count = max(faculty_count, round(students / 25))
    staff_count = max(20, round(students * 0.075))

    _bulk(Faculty, [{"name": f"Faculty {i + 1:02d}", "short_name": f"F{i + 1:02d}"} for i in range(faculty_count)])
    faculty_ids = list(_ids(Faculty, Faculty.name, [f"Faculty {i + 1:02d}" for i in range(faculty_count)]).values())
    group_rows = [{"code": f"S{i // 40 + 20}-{i + 1:04d}", "faculty_id": faculty_ids[i % faculty_count]} for i in range(group_count)]
    _bulk(Group, group_rows)
    group_ids = list(_ids(Group, Group.code, [g["code"] for g in group_rows]).values())
    unit_rows = [{"name": f"Department {i + 1:03d}", "faculty_id": faculty_ids[i % faculty_count]} for i in range(max(5, staff_count // 40))]
    _bulk(StaffUnit, unit_rows)
    unit_ids = list(_ids(StaffUnit, StaffUnit.name, [u["name"] for u in unit_rows]).values())

    created = datetime(2024, 9, 1, 9, 0)
    people = [{"email": f"student{i + 1}@scale.test", "full_name": f"Student {i + 1:05d}", "password_hash": password_hash,
               "group_id": group_ids[i % group_count], "session_token": f"scale-{seed}-{i}", "created_at": created,
               "language": "en", "active": True, "leaderboard_display": "name"} for i in range(students)]
    people += [{"email": f"staff{i + 1}@scale.test", "full_name": f"Employee {i + 1:05d}", "password_hash": password_hash,
                "staff_unit_id": unit_ids[i % len(unit_ids)], "session_token": f"scale-{seed}-s{i}", "created_at": created,
                "language": "en", "active": True, "leaderboard_display": "name"} for i in range(staff_count)]
    _bulk(User, people)
    user_ids = _ids(User, User.email, [p["email"] for p in people])
    student_ids = [user_ids[f"student{i + 1}@scale.test"] for i in range(students)]
    staff_ids = [user_ids[f"staff{i + 1}@scale.test"] for i in range(staff_count)]
    jurors = staff_ids[:12]
    _bulk(UserRole, [{"user_id": u, "role": "student"} for u in student_ids]
          + [{"user_id": u, "role": "staff"} for u in staff_ids]
          + [{"user_id": u, "role": "jury"} for u in jurors])
    sizes = {}
    for i in range(students):
        sizes[group_ids[i % group_count]] = sizes.get(group_ids[i % group_count], 0) + 1
    _bulk(Headcount, [{"group_id": g, "value": n + rng.randint(0, 3), "effective_from": created.date(), "recorded_at": created}
                      for g, n in sizes.items()])
    _bulk(Headcount, [{"staff_unit_id": u, "value": 40 + rng.randint(0, 5), "effective_from": created.date(), "recorded_at": created}
                      for u in unit_ids])

    # Participation spread over each activity's period, near its target.
    activities = db.session.execute(select(Activity).where(Activity.plan_id == plan.id).order_by(Activity.id)).scalars().all()
    participation, xp = [], []
    facts: dict[tuple[int, str, str], datetime] = {}   # what gamification's listeners would have kept, earliest first

    def fact(user_id: int, kind: str, ref, at: datetime) -> None:
        key = (user_id, kind, str(ref))
        facts[key] = min(at, facts.get(key, at))
    for activity in activities:
        population = student_ids if activity.population == STUDENTS else staff_ids
        share = min(1.0, (activity.target_percent or 5) / 100 * rng.uniform(0.4, 1.1))
        for period in activity.periods:
            span = max(1, (period.ends_on - period.starts_on).days)
            for user_id in rng.sample(population, int(len(population) * share)):
                when = datetime.combine(period.starts_on, datetime.min.time()) + timedelta(days=rng.randrange(span), hours=rng.randrange(8, 20))
                participation.append({"user_id": user_id, "activity_id": activity.id, "period": period.number,
                                      "occurred_at": when, "source": "import", "source_ref": "scale", "recorded_at": when})
                fact(user_id, ACTIVITY, activity.id, when)
                xp.append({"user_id": user_id, "amount": 10, "reason": f"Activity {activity.code}", "source_type": "scale",
                           "source_ref": f"{activity.code}:{period.number}", "created_at": when})
    _bulk(Participation, participation)
    _bulk(XpEvent, xp)

    # Integrity-hour attempts, drawn and graded as the real service does.
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one_or_none()
    attempts = 0
    if quiz is not None:
        version = db.session.get(QuizVersion, quiz.current_version_id)
        hour = next((a for a in activities if a.code == quiz.activity_code), None)
        takers = rng.sample(student_ids, int(students * 0.6))
        attempt_rows, answer_plans = [], []
        for index, user_id in enumerate(takers):
            layout = draw_layout(version.questions, version.draw, quiz, rng)
            started = datetime(2024, 9, 2, 9, 0) + timedelta(minutes=index % 6000)
            answers, total = [], 0.0
            for entry in layout:
                question = version.question(entry["key"])
                response = _plausible_response(question, rng)
                points = round(score(question, response), 6)
                total += points
                answers.append((entry["key"], response, points))
            attempt_rows.append({"quiz_id": quiz.id, "version_id": version.id, "user_id": user_id, "number": 1,
                                 "activity_id": hour.id if hour else None, "status": "submitted", "started_at": started,
                                 "deadline": started + timedelta(minutes=quiz.time_limit_minutes or 20),
                                 "submitted_at": started + timedelta(minutes=12), "score": total, "max_score": len(layout),
                                 "percent": round(100 * total / len(layout), 2), "passed": 100 * total / len(layout) >= quiz.pass_percent,
                                 "layout": layout})
            answer_plans.append(answers)
            if attempt_rows[-1]["percent"] >= 100:
                fact(user_id, FULL_MARKS, quiz.slug, attempt_rows[-1]["submitted_at"])
        _bulk(QuizAttempt, attempt_rows)
        attempt_ids = dict(db.session.execute(select(QuizAttempt.user_id, QuizAttempt.id).where(QuizAttempt.quiz_id == quiz.id)).all())
        _bulk(AttemptAnswer, [{"attempt_id": attempt_ids[row["user_id"]], "question_key": key,
                               "response": json.dumps(response) if response is not None else None,
                               "saved_at": row["submitted_at"], "points": points, "points_possible": 1.0}
                              for row, answers in zip(attempt_rows, answer_plans) for key, response, points in answers])
        attempts = len(attempt_rows)

    # Contest entries with sealed scores from three jurors each.
    entries = 0
    contest = db.session.execute(select(Contest).where(Contest.slug == "essay-2024-2025")).scalar_one_or_none()
    if contest is not None:
        authors = rng.sample(student_ids, max(6, students // 300))
        _bulk(Entry, [{"contest_id": contest.id, "author_id": author, "code": f"E-S{seed:02d}{i:05d}", "status": "submitted",
                       "title": f"Essay {i + 1}", "body": "An essay.", "body_html": "<p>An essay.</p>", "word_count": 500,
                       "content_hash": f"{i:064d}", "created_at": created, "updated_at": created, "submitted_at": created}
                      for i, author in enumerate(authors)])
        for i, author in enumerate(authors):
            fact(author, ENTRY, f"E-S{seed:02d}{i:05d}", created)
        entry_ids = list(_ids(Entry, Entry.code, [f"E-S{seed:02d}{i:05d}" for i in range(len(authors))]).values())
        assignments = [{"entry_id": e, "juror_id": jurors[(i + k) % len(jurors)], "assigned_at": created, "status": "active"}
                       for i, e in enumerate(entry_ids) for k in range(3)]
        _bulk(JuryAssignment, assignments)
        assignment_ids = db.session.execute(select(JuryAssignment.id).where(
            JuryAssignment.entry_id.in_(entry_ids)).order_by(JuryAssignment.id)).scalars().all()
        _bulk(JuryScore, [{"assignment_id": a, "values": {c["key"]: rng.randint(3, c["scale"]) for c in contest.criteria},
                           "comment": "", "private_note": "", "updated_at": created, "sealed_at": created} for a in assignment_ids])
        entries = len(entry_ids)

    # A forum with check-ins.
    forum_activity = next((a for a in activities if a.code == "2.11"), None)
    checkins = 0
    if forum_activity is not None:
        forum = Event(activity_id=forum_activity.id, title="Scale forum", starts_at=datetime(2024, 12, 9, 10),
                      ends_at=datetime(2024, 12, 9, 13), code=f"SCALE{seed % 10}")
        db.session.add(forum)
        db.session.flush()
        event_id = forum.id
        attendees = rng.sample(student_ids, students // 12)
        _bulk(CheckIn, [{"event_id": event_id, "user_id": u, "checked_in_at": datetime(2024, 12, 9, 10, 30), "source": "code"}
                        for u in attendees])
        checkins = len(attendees)
        for user_id in attendees:
            fact(user_id, CHECKIN, event_id, datetime(2024, 12, 9, 10, 30))
    _bulk(GameFact, [{"user_id": user_id, "kind": kind, "ref": ref, "happened_at": at}
                     for (user_id, kind, ref), at in facts.items()])
    db.session.commit()
    return {"students": students, "staff": staff_count, "faculties": faculty_count, "groups": group_count,
            "participation": len(participation), "xp events": len(xp), "quiz attempts": attempts,
            "contest entries": entries, "check-ins": checkins}


def _plausible_response(question: dict, rng: random.Random):
    """A student's answer: right about two times in three."""
    right = rng.random() < 0.67
    kind = question["type"]
    if kind == "single":
        return question["answer"] if right else rng.randrange(len(question["options"]))
    if kind == "multiple":
        return question["answer"] if right else [rng.randrange(len(question["options"]))]
    if kind == "true_false":
        return question["answer"] if right else not question["answer"]
    if kind == "numeric":
        return float(question["answer"]) if right else float(question["answer"]) + 1
    if kind == "short_text":
        return question["accepted"][0] if right else "no idea"
    if kind == "matching":
        return {str(i): i for i in range(len(question["pairs"]))} if right else {"0": 1}
    return {str(i): i + 1 for i in range(len(question["items"]))} if right else {"0": 2}

"""Demo data for contests: video and story contests open for entries, an essay contest being judged,
and a poem contest with published results, each in the demo's academic year and in its phase today.
"""
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.contests import service
from app.contests.loader import read_contest
from app.contests.models import Entry, JuryAssignment
from app.demo.plan import STAYS_OPEN
from app.extensions import db
from app.people.models import User

PARAGRAPHS = [
    "Every year thousands of students ask for a place in the dormitory, and every year the list is decided "
    "behind a closed door. Nobody outside that room knows why one name moved up and another moved down. "
    "Where a decision is invisible, a bribe is possible, and where a bribe is possible, honest students "
    "start to believe that honesty is naive.",
    "The first change I would make is simple: publish the rules and the queue. Distance from home, family "
    "income, academic results and disability would each have a published weight, and a program would rank "
    "the applicants. Each student would see their own place and the anonymised list, and could appeal in "
    "writing within a week.",
    "A computer does not take envelopes, but people write the program and enter the data. So the second "
    "change is a commission instead of a single official: three members from different departments and one "
    "student representative, rotating every semester, with every decision signed by all of them and kept "
    "in a log that cannot be edited.",
    "Exams are the place where students meet corruption most often. Papers could be marked under a code "
    "instead of a name, by a teacher who did not teach the group. The teacher who knows the student best "
    "would still teach and advise, but would not hold the pen that writes the grade.",
    "Rules alone will not be enough if nobody reports what goes wrong. A student who is asked for money "
    "must know where to go and must trust that the report will not turn against them. The university "
    "could publish, every month, how many reports came in and what happened to them, without any names.",
    "Some will say that this is expensive and slow. But a bribe is more expensive: it teaches a future "
    "engineer or doctor that results can be bought. The cost of a fair procedure is paid once; the cost "
    "of an unfair one is paid by everyone who later depends on that graduate's skill.",
    "Students are not only the victims of these practices; sometimes we are the ones who offer. A group "
    "collecting money for a gift before the exam, a classmate who knows someone in the dean's office — "
    "these small habits keep the old system alive. Changing them starts with saying no out loud.",
    "Tomorrow I would begin with the smallest step that anyone can check: a public list, a clear rule and "
    "a date by which every answer is given. Transparency does not need heroes. It needs a habit of "
    "showing one's work, the same habit our teachers ask of us in every exam.",
]
ESSAY_TITLES = ["A queue anyone can read", "Grades without names", "Three signatures, not one",
                "The price of a small favour", "Open doors in the dean's office", "Start with one list"]
POEMS = [
    ("Clean hands", "My hands are empty, and they are mine.\nNo envelope, no quiet sign,\nno favour owed, no door ajar —\n"
     "I pass the test for who we are.\nThe price was sleep, the price was fear;\nthe answer's honest, and it's here.\n"
     "Let others buy the easy mark:\nI'd rather learn to read the dark."),
    ("The gift", "They asked for flowers, then for more,\na box of sweets outside the door,\nthen money folded, neat and small —\n"
     "a gift that was no gift at all.\nI kept my flowers for the spring\nand gave the only honest thing:\n"
     "my work, my nights, my doubtful pen,\nand said no gift, and said again."),
    ("Receipt", "Everything has a receipt:\nthe bread, the bus, the borrowed seat.\nBut what they sell behind the hall\n"
     "has no receipt, no price at all —\nuntil the bridge that someone signed\nwas built by someone bought, not trained.\n"
     "So write it down, and sign your name:\nan honest line outlasts the shame."),
    ("Morning", "At six the corridor is bright.\nNo one is selling answers right\nnow, no one whispers at the stairs;\n"
     "the morning keeps no secret shares.\nI want my diploma to be\na morning thing, as plain to see\n"
     "as window light on a clean floor:\nearned, and worth exactly more."),
]


class DemoCover:
    """A file-like cover image drawn for the demo."""

    def __init__(self, text: str):
        from fontpkg_pt_sans import ROOT
        from PIL import Image, ImageDraw, ImageFont   # the demo alone draws: not loaded by every worker

        image = Image.new("RGB", (720, 1280), (11, 110, 79))
        pen = ImageDraw.Draw(image)
        for y in range(0, 1280, 8):
            pen.line([(0, y), (720, y)], fill=(11, 110 - y // 20, 79 + y // 16))
        font = ImageFont.truetype(str(ROOT / "files" / "PT_Sans-Web-Bold.ttf"), 64)
        pen.text((60, 600), text, fill="white", font=font)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG")
        buffer.seek(0)
        self.stream, self.filename = buffer, "cover.jpg"


def _students(users: dict, numbers) -> list[User]:
    return [users[f"student{n}@sanaly.test"] for n in numbers]


def _enter(user, contest, draft, cover, now, folder):
    outcome = service.save_entry(user, contest, None, draft, cover, now, submit=True, confirm_identity=True,
                                 upload_folder=folder)
    if outcome.problems:
        raise RuntimeError(f"demo entry for {contest.slug} refused: {outcome.problems}")
    return outcome.entry


@dataclass
class Windows:
    """A contest's dates: entries open and close, judging closes, results are announced."""

    submissions_open: datetime
    submissions_close: datetime
    judging_close: datetime
    results_on: date


def _file_windows(calendar, spec: dict) -> Windows:
    """The contest file's own windows, moved to the demo's academic year."""
    return Windows(*(calendar.shift(spec[key]) for key in ("submissions_open", "submissions_close", "judging_close")),
                   calendar.shift(spec["results_on"] or spec["judging_close"].date()))


def _windows(calendar, spec: dict, wanted: str) -> Windows:
    """The file's windows when today already puts the contest in the wanted phase, else windows
    around today that do (so the texts that name a date — "published on 9 December" — agree
    with the dates whenever the calendar allows it)."""
    now, today = calendar.now, calendar.today
    file = _file_windows(calendar, spec)
    # A phase that would end within a day (STAYS_OPEN) does not fit.
    fits = {"published": file.judging_close <= now and file.results_on <= today,
            "judging": file.submissions_close <= now and now + STAYS_OPEN < file.judging_close,
            "submissions": file.submissions_open <= now and now + STAYS_OPEN < file.submissions_close}[wanted]
    if fits:
        return file
    if wanted == "published":
        return Windows(now - timedelta(days=60), now - timedelta(days=30), now - timedelta(days=10),
                       today - timedelta(days=5))
    if wanted == "judging":
        return Windows(now - timedelta(days=30), now - timedelta(days=1), now + timedelta(days=14),
                       today + timedelta(days=16))
    return Windows(now - timedelta(days=10), now + timedelta(days=30), now + timedelta(days=45),
                   today + timedelta(days=50))


def _set(contest, windows: Windows) -> None:
    """Give the contest these dates."""
    contest.submissions_open, contest.submissions_close = windows.submissions_open, windows.submissions_close
    contest.judging_close, contest.results_on = windows.judging_close, windows.results_on


def _refresh_texts(calendar, contest, spec: dict) -> None:
    """Titles that name the seed's year (“… 2024–2025”) name the demo's year instead."""
    contest.title = calendar.shift(spec["title"])
    contest.translations = calendar.shift(spec["translations"])


def _entries(contest) -> int:
    """How many entries the contest has (the demo creates them only into an empty contest)."""
    return db.session.scalar(select(func.count()).select_from(Entry).where(Entry.contest_id == contest.id))


def build(calendar, users: dict, admin: User, upload_folder: Path) -> tuple[list[str], list[str]]:
    """Put the three contests in their demo phases around today; entries and scores are created once,
    each at a moment inside the windows shown (so receipts, scores and results agree with them)."""
    from flask import current_app

    lines = []
    rng = random.Random(2024)
    folder = Path(current_app.config["CONTENT_FOLDER"]) / "contests"

    poem = service.contest_by_slug("poem-2024-2025")
    if poem is not None:
        spec = read_contest(folder / "poem-2024-2025.toml")
        _refresh_texts(calendar, poem, spec)
        windows = _windows(calendar, spec, "published")
        if not _entries(poem):
            poem.published_at, poem.results = None, None
            _set(poem, windows)
            entered = windows.submissions_close - timedelta(days=1)
            for user, (title, text) in zip(_students(users, (7, 8, 9, 2)), POEMS):
                _enter(user, poem, service.EntryDraft(title=title, body=text, show_name=user.email != "student8@sanaly.test"),
                       None, entered, upload_folder)
            service.assign_jury(poem, admin, windows.submissions_close + timedelta(hours=1), rng)
            _score_everything(poem, windows.submissions_close + timedelta(days=1), rng)
            service.publish(poem, admin, max(windows.judging_close, calendar.past(calendar.at(windows.results_on, 10))))
        _set(poem, windows)
        lines.append(f"contest poem-2024-2025: results published on {poem.results_on.isoformat()}")

    essay = service.contest_by_slug("essay-2024-2025")
    if essay is not None:
        spec = read_contest(folder / "essay-2024-2025.toml")
        _refresh_texts(calendar, essay, spec)
        windows = _windows(calendar, spec, "judging")
        _set(essay, windows)
        if not _entries(essay):
            entered = windows.submissions_close - timedelta(days=1)
            for index, user in enumerate(_students(users, (2, 4, 5, 7, 10, 11))):
                paragraphs = PARAGRAPHS[:]
                random.Random(index).shuffle(paragraphs)
                _enter(user, essay, service.EntryDraft(title=ESSAY_TITLES[index], body="\n\n".join(paragraphs)),
                       None, entered, upload_folder)
            service.assign_jury(essay, admin, windows.submissions_close + timedelta(hours=1), rng)
            scored = min(windows.submissions_close + timedelta(days=1), calendar.now - timedelta(minutes=5))
            jury2 = users["jury2@sanaly.test"]
            for assignment in db.session.execute(select(JuryAssignment).join(Entry).where(
                    JuryAssignment.juror_id == jury2.id, Entry.contest_id == essay.id)
                    .order_by(JuryAssignment.id).limit(3)).scalars().all():
                problems = service.save_score(assignment, jury2, {c["key"]: rng.randint(5, c["scale"]) for c in essay.criteria},
                                              "Clear proposal; give one more concrete example.", "", seal=True, now=scored)
                if problems:
                    raise RuntimeError(f"demo score refused: {problems}")
        lines.append(f"contest essay-2024-2025: in judging until {essay.judging_close.isoformat(sep=' ')} UTC, jurors assigned")

    video = service.contest_by_slug("tiktok-2024-2025")
    if video is not None:
        spec = read_contest(folder / "tiktok-2024-2025.toml")
        _refresh_texts(calendar, video, spec)
        windows = _windows(calendar, spec, "submissions")
        _set(video, windows)
        if not _entries(video):
            entered = max(windows.submissions_open + timedelta(hours=1),
                          min(windows.submissions_open + timedelta(days=10), calendar.now - timedelta(hours=1)))
            _enter(users["student5@sanaly.test"], video, service.EntryDraft(
                title="The exam 'gift'", video_url="https://vm.tiktok.com/ZMdemo01/",
                description="Forty seconds about a group collecting money 'for the teacher' and the one student who says no."),
                DemoCover("THE EXAM 'GIFT'"), entered, upload_folder)
        lines.append(f"contest tiktok-2024-2025: open for entries until {video.submissions_close.isoformat(sep=' ')} UTC")

    story = service.contest_by_slug("story-2024-2025")
    if story is not None:
        spec = read_contest(folder / "story-2024-2025.toml")
        _refresh_texts(calendar, story, spec)
        _set(story, _windows(calendar, spec, "submissions"))
        lines.append(f"contest story-2024-2025: open for entries until {story.submissions_close.isoformat(sep=' ')} UTC")
    db.session.commit()
    return lines, []


def _score_everything(contest, now, rng):
    for assignment in db.session.execute(select(JuryAssignment).join(Entry).where(
            Entry.contest_id == contest.id, JuryAssignment.status == "active")).scalars().all():
        quality = {"Clean hands": 9, "The gift": 8, "Receipt": 7, "Morning": 6}[assignment.entry.title]
        values = {c["key"]: max(0, min(c["scale"], quality + rng.randint(-1, 1))) for c in contest.criteria}
        problems = service.save_score(assignment, assignment.juror, values,
                                      "Thank you — the images stay with the reader.", "", seal=True, now=now)
        if problems:
            raise RuntimeError(f"demo score refused: {problems}")

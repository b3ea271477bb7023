"""Domain events: what a feature announces so that others can react without importing it.

Each event is a blinker signal (Flask's own signalling library). The sender is the name of the
announcing feature; the data are plain values — ids, codes, amounts, times — never model objects,
so a listener cannot reach into another feature's tables through them.

Delivery is synchronous and inside the sender's transaction: a listener writes with the same
database session, so a rollback undoes what the listeners wrote too, and nothing a listener wrote
is committed unless the change that caused it is. Listeners must not commit.

Who announces what, and who listens, is written down in docs/architecture.md.
"""
from blinker import Namespace

_events = Namespace()

#: A person completed a lesson for the first time: user_id, lesson_id, course_id, xp, title, at.
lesson_completed = _events.signal("lesson-completed")

#: A person completed a whole course (once): user_id, course_id, xp, title, at.
course_completed = _events.signal("course-completed")

#: A quiz attempt received its grade: user_id, attempt_id, quiz_slug, percent, passed, at.
attempt_graded = _events.signal("attempt-graded")

#: A person passed a quiz (announced by the service that graded it, at its moment):
#: user_id, quiz_slug, attempt_id, at.
quiz_passed = _events.signal("quiz-passed")

#: A contest entry was submitted (user_id, entry_code, contest_id, at) or stopped being submitted
#: (entry_withdrawn, same data).
entry_submitted = _events.signal("entry-submitted")
entry_withdrawn = _events.signal("entry-withdrawn")

#: A certificate was issued (once per person, kind and subject): user_id, code, kind, subject_ref, at.
certificate_issued = _events.signal("certificate-issued")

#: A person checked in at an offline event (once): user_id, event_id, activity_id, source, at.
checkin_recorded = _events.signal("checkin-recorded")

#: A participation row was written (the first time per person, activity and period):
#: user_id, activity_id, source, at.
participation_recorded = _events.signal("participation-recorded")

#: People or official headcounts changed (an import, an edit, a new headcount): no data.
people_changed = _events.signal("people-changed")

#: A feature's rule awards XP for something a person did (the amount is the feature's: a course's
#: xp_per_lesson, a contest's xp): user_id, amount, reason, source_type, source_ref, at.
xp_earned = _events.signal("xp-earned")

#: XP paid for a source is to be taken back (a withdrawn entry): user_id, source_type, source_ref, at.
xp_taken_back = _events.signal("xp-taken-back")

#: A quiz attempt was closed and graded (announced by the service, with what improvement XP needs):
#: user_id, attempt_id, quiz_slug, title, xp, percent, earlier_best, at.
attempt_closed = _events.signal("attempt-closed")

#: People should be told something: user_ids, kind, message (marked with N_, translated when read),
#: params, link, subject (what it is about, e.g. "contest:essay"), at.
news = _events.signal("news")

#: What the notifications about `subject` asked for is done: subject, kind, at, user_ids (None: everyone's).
news_resolved = _events.signal("news-resolved")

#: A contest's results were published: contest_id, contest_slug, titles (its title in every language), author_ids, at.
results_published = _events.signal("results-published")

#: A figure of an activity measured in its own terms changed (a division heard, a declaration
#: submitted, a position listed, a risk map approved): plan_id (None when not known), at.
plan_measure_changed = _events.signal("plan-measure-changed")


def announce(signal, sender: str, **data) -> None:
    """Send `signal` from the feature `sender` with plain keyword data; listeners run now, in this transaction."""
    signal.send(sender, **data)

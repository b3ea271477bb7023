"""Import every feature's models so that SQLAlchemy and Alembic see all tables."""
from app.audit.models import AuditCheckpoint, AuditEvent, AuditHead  # noqa: F401
from app.people.models import Faculty, Group, Headcount, StaffUnit, User, UserRole  # noqa: F401
from app.plan.models import Activity, ActivityPeriod, Participation, Plan  # noqa: F401
from app.certificates.models import Certificate  # noqa: F401
from app.courses.models import Course, CourseProgress, Lesson, LessonCompletion, LessonVersion  # noqa: F401
from app.gamification.models import Notification, UserBadge, XpEvent  # noqa: F401
from app.quizzes.models import AttemptAnswer, Quiz, QuizAccommodation, QuizAttempt, QuizVersion  # noqa: F401
from app.contests.models import Contest, Entry, JuryAssignment, JuryScore  # noqa: F401
from app.coverage.models import ApiToken, CheckIn, Event  # noqa: F401
from app.plan.deliverable_models import ActivityUnit, Deliverable, Evidence, ResponsibleUnit, UnitReporter  # noqa: F401
from app.surveys.models import Survey, SurveyPending, SurveyResponse, SurveyTaker, SurveyText, SurveyWave  # noqa: F401
from app.reports.models import Report, ReportAttachment, ReportMessage, Setting  # noqa: F401
from app.risks.models import DeclarationDuty, EquatedPosition, Hearing, MediaItem, Risk, RiskMap  # noqa: F401
from app.club.models import Clip, Idea, IdeaVote, Membership, VolunteerLog  # noqa: F401
from app.brainring.models import Game, Player, RingAnswer, RingSet, Team  # noqa: F401
from app.authoring.models import ContentDraft, ContentGrant, ContentRevision  # noqa: F401
from app.jobs.models import Job  # noqa: F401
from app.mail.models import MailOptOut, OutboxMessage  # noqa: F401
from app.privacy.models import (AccessLogEntry, Consent, Erasure, ErasureRequest, PrivacyNotice,  # noqa: F401
                                RetentionPeriod, RetentionRun)
from app.core.models import CacheVersion  # noqa: F401
from app.filings.models import Narrative  # noqa: F401

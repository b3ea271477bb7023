"""gamification keeps its own facts (from the features' events), backfilled from what happened so far

Revision ID: 0023_game_facts
Revises: 0022_personal_data
"""
import sqlalchemy as sa
from alembic import op

revision = "0023_game_facts"
down_revision = "0022_personal_data"
branch_labels = None
depends_on = None

# What each badge rule used to read from other features' tables, as the facts their events now
# leave in game_facts. Only plain SQL over table names: a migration never imports models.
BACKFILL = {
    "lesson": "SELECT user_id, CAST(lesson_id AS VARCHAR(120)), MIN(completed_at) "
              "FROM lesson_completions GROUP BY user_id, lesson_id",
    "course": "SELECT user_id, CAST(course_id AS VARCHAR(120)), completed_at "
              "FROM course_progress WHERE completed_at IS NOT NULL",
    "quiz-full-marks": "SELECT quiz_attempts.user_id, quizzes.slug, MIN(COALESCE(quiz_attempts.submitted_at, quiz_attempts.started_at)) "
                       "FROM quiz_attempts JOIN quizzes ON quizzes.id = quiz_attempts.quiz_id "
                       "WHERE quiz_attempts.percent >= 100 GROUP BY quiz_attempts.user_id, quizzes.slug",
    "entry": "SELECT author_id, code, COALESCE(submitted_at, created_at) FROM entries WHERE status = 'submitted'",
    "diploma": "SELECT user_id, code, issued_on FROM certificates WHERE kind = 'diploma'",
    "checkin": "SELECT user_id, CAST(event_id AS VARCHAR(120)), MIN(checked_in_at) "
               "FROM check_ins GROUP BY user_id, event_id",
    "activity": "SELECT user_id, CAST(activity_id AS VARCHAR(120)), MIN(occurred_at) "
                "FROM participations GROUP BY user_id, activity_id",
}


def upgrade():
    op.create_table(
        "game_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", "ref"),
    )
    op.create_index("ix_game_facts_user_id", "game_facts", ["user_id"])
    backfill(op.execute)


def backfill(execute) -> None:
    """Write the facts of everything that happened before the features announced it (`execute` runs SQL text)."""
    for kind, query in BACKFILL.items():
        execute(f"INSERT INTO game_facts (user_id, ref, happened_at, kind) SELECT src.*, '{kind}' FROM ({query}) AS src")


def downgrade():
    op.drop_index("ix_game_facts_user_id", table_name="game_facts")
    op.drop_table("game_facts")

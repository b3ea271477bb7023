"""personal data: the access log, privacy notices and consents, erasures and their requests, retention

Revision ID: 0022_personal_data
Revises: 0021_mail_and_jobs
"""
import sqlalchemy as sa
from alembic import op

revision = "0022_personal_data"
down_revision = "0021_mail_and_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "privacy_access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
    )
    op.create_index("ix_privacy_access_log_at", "privacy_access_log", ["at"])
    op.create_index("ix_privacy_access_log_viewer_id", "privacy_access_log", ["viewer_id"])
    op.create_index("ix_privacy_access_log_kind", "privacy_access_log", ["kind"])
    op.create_index("ix_privacy_access_log_subject_user_id", "privacy_access_log", ["subject_user_id"])
    op.create_table(
        "privacy_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False, unique=True),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_kk", sa.Text(), nullable=False),
        sa.Column("text_ru", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "version", name="uq_privacy_consents_user_version"),
    )
    op.create_index("ix_privacy_consents_user_id", "privacy_consents", ["user_id"])
    op.create_table(
        "privacy_erasure_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_index("ix_privacy_erasure_requests_user_id", "privacy_erasure_requests", ["user_id"])
    op.create_index("ix_privacy_erasure_requests_status", "privacy_erasure_requests", ["status"])
    op.create_table(
        "privacy_erasures",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("erased_at", sa.DateTime(), nullable=False),
        sa.Column("erased_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("trigger", sa.String(20), nullable=False),
    )
    op.create_table(
        "privacy_retention",
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_table(
        "privacy_retention_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("removed", sa.Text(), nullable=False),
    )
    op.create_index("ix_privacy_retention_runs_ran_at", "privacy_retention_runs", ["ran_at"])


def downgrade():
    op.drop_index("ix_privacy_retention_runs_ran_at", table_name="privacy_retention_runs")
    op.drop_table("privacy_retention_runs")
    op.drop_table("privacy_retention")
    op.drop_table("privacy_erasures")
    op.drop_index("ix_privacy_erasure_requests_status", table_name="privacy_erasure_requests")
    op.drop_index("ix_privacy_erasure_requests_user_id", table_name="privacy_erasure_requests")
    op.drop_table("privacy_erasure_requests")
    op.drop_index("ix_privacy_consents_user_id", table_name="privacy_consents")
    op.drop_table("privacy_consents")
    op.drop_table("privacy_notices")
    for name in ("subject_user_id", "kind", "viewer_id", "at"):
        op.drop_index(f"ix_privacy_access_log_{name}", table_name="privacy_access_log")
    op.drop_table("privacy_access_log")

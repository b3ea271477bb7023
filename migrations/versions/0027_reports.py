"""reports: the responsible units' narratives for the filed reports (annual, quarterly)

Revision ID: 0027_reports
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = "0027_reports"
down_revision = "0027_risks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "filing_narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], name=op.f("fk_filing_narratives_activity_id_activities"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_filing_narratives_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filing_narratives")),
        sa.UniqueConstraint("activity_id", "period", "language", name=op.f("uq_filing_narratives_activity_id_period_language")),
    )
    op.create_index(op.f("ix_filing_narratives_activity_id"), "filing_narratives", ["activity_id"])


def downgrade():
    op.drop_index(op.f("ix_filing_narratives_activity_id"), table_name="filing_narratives")
    op.drop_table("filing_narratives")

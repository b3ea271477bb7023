"""survey_pending: sealed responses waiting for their shuffled batch; survey tables clustered on their random keys

Revision ID: 0018_survey_pool
Revises: 0017_audit_checkpoints
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_survey_pool"
down_revision = "0017_audit_checkpoints"
branch_labels = None
depends_on = None

# On PostgreSQL, marked tables are what a bare CLUSTER (run before every backup) rewrites in key order.
ORDER_SENSITIVE = ("survey_responses", "survey_texts", "survey_pending", "survey_takers")


def upgrade():
    op.create_table(
        "survey_pending",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"], name=op.f("fk_survey_pending_wave_id_survey_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_pending")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("survey_pending", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_pending_wave_id"), ["wave_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in ORDER_SENSITIVE:
            op.execute(f"ALTER TABLE {table} CLUSTER ON pk_{table}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ORDER_SENSITIVE[:2] + ORDER_SENSITIVE[3:]:
            op.execute(f"ALTER TABLE {table} SET WITHOUT CLUSTER")
    with op.batch_alter_table("survey_pending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_pending_wave_id"))
    op.drop_table("survey_pending")

"""pending_covers: a cover uploaded with a refused entry, kept for its author's next try

Revision ID: 0016_pending_covers
Revises: 0015_notification_subjects
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_pending_covers"
down_revision = "0015_notification_subjects"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_covers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cover_file", sa.String(length=80), nullable=False),
        sa.Column("thumb_file", sa.String(length=80), nullable=False),
        sa.Column("cover_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pending_covers_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_covers")),
        sa.UniqueConstraint("token", name=op.f("uq_pending_covers_token")),
    )
    op.create_index(op.f("ix_pending_covers_user_id"), "pending_covers", ["user_id"])
    op.create_index(op.f("ix_pending_covers_created_at"), "pending_covers", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_pending_covers_created_at"), table_name="pending_covers")
    op.drop_index(op.f("ix_pending_covers_user_id"), table_name="pending_covers")
    op.drop_table("pending_covers")

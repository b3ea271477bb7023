"""audit: every field hashed in a canonical encoding (version 2), signed checkpoints

Events already in the log keep encoding 1 and their hashes, so every hash published before
(results pages, bundles) stays true; new events are written with encoding 2 and chain on.

Revision ID: 0017_audit_checkpoints
Revises: 0016_pending_covers
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_audit_checkpoints"
down_revision = "0016_pending_covers"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_events", sa.Column("encoding", sa.Integer(), nullable=False, server_default=sa.text("1")))
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("size", name=op.f("uq_audit_checkpoints_size")),
    )


def downgrade():
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("encoding")

"""contest translations

Revision ID: 0011_contest_translations
Revises: 0010_translations
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_contest_translations"
down_revision = "0010_translations"
branch_labels = None
depends_on = None


def upgrade():
    # In place, like 0010: no table is copied.
    op.add_column("contests", sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_column("translations")

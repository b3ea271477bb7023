"""plan: the plan's and its activities' texts in Kazakh and Russian

Revision ID: 0020_plan_translations
Revises: 0019_ring_translations
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_plan_translations"
down_revision = "0019_ring_translations"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with a constant default: plans and activities already loaded keep their
    # rows (participation points at them) and show the original until the plan is loaded again.
    op.add_column("plans", sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.add_column("activities", sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("translations")

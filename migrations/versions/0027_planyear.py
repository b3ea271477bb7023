"""planyear: a plan year can be closed, keeping its coverage figures as they stood

Revision ID: 0027_planyear
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = "0027_planyear"
down_revision = "0027_staffcourse"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_figures", sa.JSON(), nullable=True))
        batch.create_foreign_key("fk_plans_closed_by_id_users", "users", ["closed_by_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("plans") as batch:
        batch.drop_constraint("fk_plans_closed_by_id_users", type_="foreignkey")
        batch.drop_column("closed_figures")
        batch.drop_column("closed_by_id")
        batch.drop_column("closed_at")

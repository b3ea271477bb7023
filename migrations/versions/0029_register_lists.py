"""register_lists: a register activity names the list it keeps in fed_by (declarations, positions)

Registers loaded before this kept the list the loader still decides for a plan file without fed_by
(app.plan.models.register_list_without_fed_by); it is written into fed_by here, once.

Revision ID: 0029_register_lists
Revises: 0028_section1
"""
import sqlalchemy as sa
from alembic import op

from app.plan.models import register_list_without_fed_by

revision = "0029_register_lists"
down_revision = "0028_section1"
branch_labels = None
depends_on = None

activities = sa.table("activities", sa.column("id", sa.Integer), sa.column("code", sa.String),
                      sa.column("name", sa.Text), sa.column("kind", sa.String), sa.column("fed_by", sa.String))


def upgrade():
    connection = op.get_bind()
    registers = connection.execute(sa.select(activities.c.id, activities.c.code, activities.c.name)
                                   .where(activities.c.kind == "register", activities.c.fed_by == "")).all()
    for activity_id, code, name in registers:
        connection.execute(activities.update().where(activities.c.id == activity_id)
                           .values(fed_by=register_list_without_fed_by(code, name)))


def downgrade():
    op.get_bind().execute(activities.update().where(activities.c.kind == "register").values(fed_by=""))

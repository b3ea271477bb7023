"""brain ring: a team answers once per question (the team's answer is unique per question)

Answers recorded before this revision keep an empty team_id, so games already played keep their
results (scored by the best member, which for one answer a team is the same figure).

Revision ID: 0014_ring_team_answers
Revises: 0013_notification_messages
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_ring_team_answers"
down_revision = "0013_notification_messages"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ring_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_ring_answers_team_id_ring_teams"), "ring_teams", ["team_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_unique_constraint(batch_op.f("uq_ring_answers_team_id_question"), ["team_id", "question"])


def downgrade():
    with op.batch_alter_table("ring_answers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ring_answers_team_id_question"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_ring_answers_team_id_ring_teams"), type_="foreignkey")
        batch_op.drop_column("team_id")

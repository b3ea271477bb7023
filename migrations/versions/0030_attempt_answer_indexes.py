"""attempt_answer_indexes: drop the two indexes of attempt_answers that no query uses

Every read of saved answers names the attempt, and the unique (attempt_id, question_key) index, which
the answer upsert needs anyway, serves it (and the cascade from quiz_attempts) by its first column; no
query looks answers up by question_key alone. Each autosave paid to keep both up to date.

Revision ID: 0030_attempt_answer_indexes
Revises: 0029_register_lists
"""
from alembic import op

revision = "0030_attempt_answer_indexes"
down_revision = "0029_register_lists"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempt_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempt_answers_question_key"))
        batch_op.drop_index(batch_op.f("ix_attempt_answers_attempt_id"))


def downgrade():
    with op.batch_alter_table("attempt_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempt_answers_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempt_answers_question_key"), ["question_key"], unique=False)

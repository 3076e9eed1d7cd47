"""hints and question reports

Question instances count the hints revealed; numeric review log entries record how many hints their
question used (the rating is capped at Hard then); candidates' problem reports on questions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import service.db.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('question_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hints_used', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hints_used', sa.Integer(), nullable=True))
    op.create_table('question_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=32), nullable=False),
    sa.Column('generator_id', sa.String(length=128), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=True),
    sa.Column('submission', sa.JSON(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', service.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['question_instances.id'], name=op.f('fk_question_reports_instance_id_question_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_question_reports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_reports'))
    )
    with op.batch_alter_table('question_reports', schema=None) as batch_op:
        batch_op.create_index('ix_question_reports_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_question_reports_generator_id_created_at', ['generator_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('question_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_question_reports_generator_id_created_at')
        batch_op.drop_index('ix_question_reports_created_at')
    op.drop_table('question_reports')
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.drop_column('hints_used')
    with op.batch_alter_table('question_instances', schema=None) as batch_op:
        batch_op.drop_column('hints_used')

"""mock interviews, remediation drills, card key points

Cards gain ``key_points`` (a JSON list, '[]' for every existing card: their answer's sentences serve
until an author writes a list). Mock interviews and their items, and one row per misconception being
remediated, are new tables.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_points', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    op.create_table(
        'mock_interviews',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('length', sa.Integer(), nullable=False),
        sa.Column('seconds_per_question', sa.Integer(), nullable=False),
        sa.Column('started_at', service.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('deadline', service.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', service.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mock_interviews_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mock_interviews')),
    )
    op.create_index('ix_mock_interviews_user_id_started_at', 'mock_interviews', ['user_id', 'started_at'], unique=False)
    op.create_table(
        'mock_interview_items',
        sa.Column('interview_id', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('card_key', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('question_id', sa.String(length=32), nullable=True),
        sa.Column('key_points', sa.JSON(), nullable=False),
        sa.Column('covered', sa.JSON(), nullable=True),
        sa.Column('skipped', sa.Boolean(), nullable=False),
        sa.Column('answered_at', service.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('seconds', sa.Float(), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('correct', sa.Boolean(), nullable=True),
        sa.Column('misconception', sa.String(length=128), nullable=True),
        sa.Column('review_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['card_key'], ['cards.key'], name=op.f('fk_mock_interview_items_card_key_cards')),
        sa.ForeignKeyConstraint(['interview_id'], ['mock_interviews.id'], name=op.f('fk_mock_interview_items_interview_id_mock_interviews'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['question_instances.id'], name=op.f('fk_mock_interview_items_question_id_question_instances')),
        sa.ForeignKeyConstraint(['review_id'], ['review_logs.id'], name=op.f('fk_mock_interview_items_review_id_review_logs')),
        sa.PrimaryKeyConstraint('interview_id', 'position', name=op.f('pk_mock_interview_items')),
    )
    op.create_table(
        'remediations',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('generator_id', sa.String(length=128), nullable=False),
        sa.Column('misconception', sa.String(length=128), nullable=False),
        sa.Column('card_key', sa.Integer(), nullable=True),
        sa.Column('question_id', sa.String(length=32), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('times_named', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('due', service.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', service.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', service.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['card_key'], ['cards.key'], name=op.f('fk_remediations_card_key_cards')),
        sa.ForeignKeyConstraint(['question_id'], ['question_instances.id'], name=op.f('fk_remediations_question_id_question_instances')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_remediations_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_remediations')),
    )
    op.create_index('ix_remediations_question_id', 'remediations', ['question_id'], unique=False)
    op.create_index('ix_remediations_user_id_status_due', 'remediations', ['user_id', 'status', 'due'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_remediations_user_id_status_due', table_name='remediations')
    op.drop_index('ix_remediations_question_id', table_name='remediations')
    op.drop_table('remediations')
    op.drop_table('mock_interview_items')
    op.drop_index('ix_mock_interviews_user_id_started_at', table_name='mock_interviews')
    op.drop_table('mock_interviews')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_column('key_points')

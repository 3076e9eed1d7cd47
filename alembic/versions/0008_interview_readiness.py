"""interview readiness and load balancing settings; recorded load on review logs

``user_settings`` gains the interview date (a local date, NULL when none is set), the recall wanted on
that day, an optional daily workload cap (NULL: derived from the due forecast), and the load-balancing
switch with its easy weekdays. ``review_logs.balance`` records the load the review saw over its fuzz
window (first interval in days, then one score per day), so a replay chooses the same due date.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interview_date', sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column('target_retention_on_the_day', sa.Float(), nullable=False, server_default='0.9')
        )
        batch_op.add_column(sa.Column('daily_cap', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('load_balancing', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('easy_days', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.drop_column('balance')
    with op.batch_alter_table('user_settings', schema=None) as batch_op:
        batch_op.drop_column('easy_days')
        batch_op.drop_column('load_balancing')
        batch_op.drop_column('daily_cap')
        batch_op.drop_column('target_retention_on_the_day')
        batch_op.drop_column('interview_date')

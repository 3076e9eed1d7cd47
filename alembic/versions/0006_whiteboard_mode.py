"""whiteboard mode: the user's calculator setting and the mode each question instance was made in

Both default to true (calculator on), which is what every existing user and instance had.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_settings') as batch:
        batch.add_column(sa.Column('calculator', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('question_instances') as batch:
        batch.add_column(sa.Column('calculator', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('question_instances') as batch:
        batch.drop_column('calculator')
    with op.batch_alter_table('user_settings') as batch:
        batch.drop_column('calculator')

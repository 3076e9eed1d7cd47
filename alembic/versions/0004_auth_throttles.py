"""auth throttles

Rate-limit counters for logins and registrations, kept in the database so every worker and replica
sees the same counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('auth_throttles',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', service.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', service.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_throttles'))
    )


def downgrade() -> None:
    op.drop_table('auth_throttles')

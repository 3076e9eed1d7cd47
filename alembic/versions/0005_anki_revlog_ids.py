"""anki revlog ids on review logs

A review imported from Anki keeps its revlog id (milliseconds since the epoch, so a BIGINT); the unique
(user_id, anki_revlog_id) index makes a second import of the same file a no-op. Native reviews leave it
NULL, and NULLs never collide in a unique index on either backend.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anki_revlog_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_review_logs_user_id_anki_revlog_id', ['user_id', 'anki_revlog_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_review_logs_user_id_anki_revlog_id')
        batch_op.drop_column('anki_revlog_id')

"""dead letters: original payload size (payloads are truncated), index for their retention

Revision ID: 0005_dead_letter_size
Revises: 0008_daily_energy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_dead_letter_size"
# after main's newest revision: this id was fixed before the later-numbered ones landed;
# the chain, not the number, orders revisions
down_revision = "0008_daily_energy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on rows written before this revision: their payload was kept whole.
    op.add_column("dead_letters", sa.Column("payload_bytes", sa.BigInteger(), nullable=True))
    op.create_index("ix_dead_letters_received_at", "dead_letters", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_dead_letters_received_at", table_name="dead_letters")
    op.drop_column("dead_letters", "payload_bytes")

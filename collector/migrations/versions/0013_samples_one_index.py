"""samples: one index, (device_id, ts); ix_samples_ts dropped

Every sample row was written into two indexes. The one on ``ts`` alone cost a quarter of the
insert (3.3 µs a reading instead of 4.4 on SQLite, bench/README.md "One index on samples"), and
the three reads that used it (devices seen in a time range, one metric's recent readings,
retention) now walk ``ix_samples_device_ts`` device by device (collector/ledger/by_device.py).

Revision ID: 0013_samples_one_index
Revises: 0012_policy_window_tallies
"""

from __future__ import annotations

from alembic import op

revision = "0013_samples_one_index"
down_revision = "0012_policy_window_tallies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_samples_ts", table_name="samples")


def downgrade() -> None:
    op.create_index("ix_samples_ts", "samples", ["ts"])

"""hourly_energy: covered intervals and 5-minute slot kWh (time-resolved nested meters)

Revision ID: 0004_hourly_coverage
Revises: 0002_violation_lifecycle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_hourly_coverage"
down_revision = "0002_violation_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hourly_energy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("covered", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("slot_kwh", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hourly_energy", schema=None) as batch_op:
        batch_op.drop_column("slot_kwh")
        batch_op.drop_column("covered")

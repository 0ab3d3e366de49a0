"""daily_energy: kWh per device per local civil day, the roll-up reports read

Revision ID: 0008_daily_energy
Revises: 0011_imported_energy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_daily_energy"
down_revision = "0011_imported_energy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_energy",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("device_id", sa.String(128), primary_key=True),
        sa.Column("kwh", sa.Float(), nullable=False),
        sa.Column("measured_kwh", sa.Float(), nullable=False),
        sa.Column("estimated_kwh", sa.Float(), nullable=False),
        sa.Column("coverage_hours", sa.Float(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("daily_energy")

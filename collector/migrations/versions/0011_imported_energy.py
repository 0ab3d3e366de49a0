"""imported energy: facility and IT kWh per period for hosted datacentres (import-meter)

Revision ID: 0011_imported_energy
Revises: 0003_message_epoch (main's head when rebased; one line of migrations)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_imported_energy"
down_revision = "0003_message_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_energy",
        sa.Column("id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.Column("datacentre", sa.String(length=128), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facility_kwh", sa.Float(), nullable=False),
        sa.Column("it_kwh", sa.Float(), nullable=False),
        sa.Column("renewable_kwh", sa.Float(), nullable=True),
        sa.Column("reused_kwh", sa.Float(), nullable=True),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("file", sa.String(length=512), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_imported_energy_period",
        "imported_energy",
        ["datacentre", "period_start", "period_end"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_imported_energy_period", table_name="imported_energy")
    op.drop_table("imported_energy")

"""policy_windows: each device's outcome in each complete sleep window (compliance figures)

Revision ID: 0010_policy_windows
Revises: 0009_exemptions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_policy_windows"
down_revision = "0009_exemptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_windows",
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_group", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("kwh_wasted", sa.Float(), nullable=False, server_default="0"),
        sa.Column("wasted_quality", sa.String(16), nullable=False, server_default="estimated"),
        sa.Column("kwh_avoided", sa.Float(), nullable=False, server_default="0"),
        sa.Column("slept_seconds", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("device_id", "window_start"),
    )
    op.create_index("ix_policy_windows_start", "policy_windows", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_policy_windows_start", table_name="policy_windows")
    op.drop_table("policy_windows")

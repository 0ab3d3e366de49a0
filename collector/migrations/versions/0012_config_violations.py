"""configuration violations with a life cycle, and their events

Revision ID: 0012_config_violations
Revises: 0005_dead_letter_size
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_config_violations"
down_revision = "0005_dead_letter_size"
branch_labels = None
depends_on = None

Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "config_violations",
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("opened_at", Ts, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False, server_default=""),
        sa.Column("policy_group", sa.String(64), nullable=False, server_default=""),
        sa.Column("changed_at", Ts, nullable=False),
        sa.Column("resolved_at", Ts, nullable=True),
        sa.PrimaryKeyConstraint("device_id", "rule", "opened_at"),
    )
    op.create_index("ix_config_violations_state", "config_violations", ["state"])
    op.create_table(
        "config_violation_events",
        sa.Column(
            "id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("opened_at", Ts, nullable=False),
        sa.Column("at", Ts, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("previous", sa.String(10), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_config_violation_events_at", "config_violation_events", ["at"])


def downgrade() -> None:
    op.drop_table("config_violation_events")
    op.drop_index("ix_config_violations_state", table_name="config_violations")
    op.drop_table("config_violations")

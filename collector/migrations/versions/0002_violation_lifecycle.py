"""violations get a life cycle: state, streak, when opened and changed; violation_events

Revision ID: 0002_violation_lifecycle
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_violation_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("violations") as batch:
        batch.add_column(sa.Column("state", sa.String(10), nullable=False, server_default="open"))
        batch.add_column(sa.Column("streak", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(
            sa.Column("observations", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("policy_group", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("opened_at", Ts, nullable=True))
        batch.add_column(sa.Column("changed_at", Ts, nullable=True))
    # Rows written before the life cycle existed: resolved if they had a resolution time.
    op.execute(
        "UPDATE violations SET state = CASE WHEN resolved_at IS NULL THEN 'open' "
        "ELSE 'resolved' END, opened_at = first_seen, "
        "changed_at = COALESCE(resolved_at, last_seen)"
    )
    op.create_index("ix_violations_state", "violations", ["state"])
    op.create_table(
        "violation_events",
        sa.Column(
            "id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("window_start", Ts, nullable=False),
        sa.Column("at", Ts, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("previous", sa.String(10), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_violation_events_at", "violation_events", ["at"])
    op.create_index("ix_violation_events_key", "violation_events", ["device_id", "window_start"])


def downgrade() -> None:
    op.drop_table("violation_events")
    op.drop_index("ix_violations_state", table_name="violations")
    with op.batch_alter_table("violations") as batch:
        for name in ("changed_at", "opened_at", "policy_group", "observations", "streak", "state"):
            batch.drop_column(name)

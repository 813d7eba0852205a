"""Subscribers get a status instead of an active flag: pending, active, unsubscribed, bounced,
complained (double opt-in and bounce handling need more than two states).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digest.storage.legacy import release_0_1

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The table is rebuilt from the baseline's definition, not from what reflection finds: a file
    # made before subscriber lists also had UNIQUE(email) (one list per address), which goes now.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS uq_subscriber_list_email_upgraded")
    with op.batch_alter_table("subscribers", copy_from=release_0_1.tables["subscribers"], recreate="auto") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="active"))
    op.execute("UPDATE subscribers SET status = CASE WHEN active THEN 'active' ELSE 'unsubscribed' END")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("active")
        batch.create_index("ix_subscribers_list_status", ["list", "status"])


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_index("ix_subscribers_list_status")
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
    op.execute("UPDATE subscribers SET active = (status = 'active')")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("status")

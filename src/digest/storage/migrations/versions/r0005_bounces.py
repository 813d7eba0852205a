"""Bounces: sends remember their Message-ID and VERP token; bounce events are kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sends") as batch:
        batch.add_column(sa.Column("message_id", sa.String(256), nullable=True))
        batch.add_column(sa.Column("bounce_token", sa.String(32), nullable=True))
        batch.create_index("ix_sends_message_id", ["message_id"])
        batch.create_index("ix_sends_bounce_token", ["bounce_token"])
    op.create_table(
        "bounce_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id"), nullable=True),
        sa.Column("source", sa.String(512), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("bounce_events")
    with op.batch_alter_table("sends") as batch:
        batch.drop_index("ix_sends_bounce_token")
        batch.drop_index("ix_sends_message_id")
        batch.drop_column("bounce_token")
        batch.drop_column("message_id")

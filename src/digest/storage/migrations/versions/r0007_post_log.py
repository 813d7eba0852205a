"""The post log: one row per social post (story, account, thread part), so posts are never doubled.

Revision ID: 0007_post_log
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_post_log"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("story", sa.String(2048), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("part", sa.Integer, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=True),
        sa.Column("job", sa.String(256), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("platform_id", sa.String(512), nullable=True),
        sa.Column("platform_cid", sa.String(256), nullable=True),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("story", "account", "part", name="uq_post_once"),
    )
    op.create_index("ix_post_log_status_not_before", "post_log", ["status", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_post_log_status_not_before", table_name="post_log")
    op.drop_table("post_log")

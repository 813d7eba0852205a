"""Editions can wait for review: a draft's status, data, edits, list, job and deadline.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS: list[tuple[str, Any]] = [
    ("status", sa.String(16)),
    ("data", sa.JSON),
    ("edits", sa.JSON),
    ("list_name", sa.String(64)),
    ("job", sa.String(256)),
    ("review_by", sa.DateTime(timezone=True)),
    ("on_timeout", sa.String(8)),
    ("decided_at", sa.DateTime(timezone=True)),
]


def upgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)

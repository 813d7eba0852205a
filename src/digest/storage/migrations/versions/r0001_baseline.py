"""The schema of digest 0.1.0: articles, feed state, editions, subscribers (with lists), sends.

A database made by 0.1.0 has no alembic_version table; `digest db upgrade` creates what such a
database may lack (a file made before subscriber lists has no ``list`` column) and stamps it
with this revision, so every later migration starts from the same place.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

from digest.storage.legacy import release_0_1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    release_0_1.create_all(op.get_bind())


def downgrade() -> None:
    release_0_1.drop_all(op.get_bind())

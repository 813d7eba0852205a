"""Articles keep their lead image, categories and source name (images in the email; sections).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("image", sa.JSON, nullable=True))
        batch.add_column(sa.Column("categories", sa.JSON, nullable=True))
        batch.add_column(sa.Column("origin", sa.String(512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("origin")
        batch.drop_column("categories")
        batch.drop_column("image")

"""Reader links: each subscriber row gets a random link selector; consents are recorded.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import base64
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _selector() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("token", sa.String(32), nullable=True))
    conn = op.get_bind()
    rows = sa.table("subscribers", sa.column("id", sa.Integer), sa.column("token", sa.String))
    ids = [r.id for r in conn.execute(sa.select(rows.c.id).where(rows.c.token.is_(None)))]
    for start in range(0, len(ids), 1000):
        conn.execute(
            sa.update(rows).where(rows.c.id == sa.bindparam("row_id")).values(token=sa.bindparam("value")),
            [{"row_id": i, "value": _selector()} for i in ids[start : start + 1000]],
        )
    with op.batch_alter_table("subscribers") as batch:
        batch.create_unique_constraint("uq_subscribers_token", ["token"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("list", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form_url", sa.String(2048), nullable=True),
        sa.Column("ip", sa.String(128), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("consents")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_constraint("uq_subscribers_token", type_="unique")
        batch.drop_column("token")

"""Send-log rows can be claimed: several senders share one edition's recipients.

A sender claims a batch of pending rows (``claimed_by``) for a while (``lease_until``) and
renews the lease while it works; rows whose sender died are taken over when the lease runs
out. Old rows start unclaimed. The status index gains the id, so the next owed rows of an
edition come off the index in order instead of being sorted for every claim.

Revision ID: 0008_send_claims
Revises: 0007_post_log
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_send_claims"
down_revision = "0007_post_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sends") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_sends_digest_claimed_by", ["digest_id", "claimed_by"])
        batch.drop_index("ix_sends_digest_status")
        batch.create_index("ix_sends_digest_status_id", ["digest_id", "status", "id"])


def downgrade() -> None:
    with op.batch_alter_table("sends") as batch:
        batch.drop_index("ix_sends_digest_status_id")
        batch.create_index("ix_sends_digest_status", ["digest_id", "status"])
        batch.drop_index("ix_sends_digest_claimed_by")
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")

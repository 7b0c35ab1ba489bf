"""the digests kept per synced type and id bucket, filled for the records already there

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-06 10:30:00

``clienteling sync --verify`` at a million customers gave up after 344 s: the hub computed its
digest from every row on each ``GET /sync/digest`` (issue 19). The engine now keeps, per type
and id bucket, a count and a sum of fingerprints (``digest_buckets``) and each record's last
fingerprint (``digest_rows``), updated in every write's transaction (``engine.digest_keeper``).

This revision computes them for the records already in the database through the registry of
synced types as it is in this release, so it must run after every revision that changes a
synced table (it reads their columns). A later revision that changes what a synced type's
fingerprint covers rebuilds that type the same way (``digest_keeper.rebuild``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_rows",
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "bucket", "id", name="pk_digest_rows"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "digest_buckets",
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "bucket", name="pk_digest_buckets"),
    )
    # Imported here, not at the top: only this step needs the engine's registry.
    from clienteling.engine.digest_keeper import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("digest_buckets")
    op.drop_table("digest_rows")

"""idempotency keys scoped to the device and staff member that used them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:10:00

A stored response was found by its key alone, so a repeat of the key from another till or
staff member got someone else's answer (issue 9). The key's row now also names the device
(token id) and the staff member, all three the primary key. Rows stored before this get ''
for both: nobody can tell whose they were, and the hub still replays them for any caller who
passes the checks, so a till retrying a request it sent before the upgrade does not apply it
twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLE = "idempotency_records"
PK = "pk_idempotency_records"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("device_id", sa.String(36), nullable=False, server_default=""))
        batch.add_column(sa.Column("staff_id", sa.String(36), nullable=False, server_default=""))
        batch.drop_constraint(PK, type_="primary")
        batch.create_primary_key(PK, ["key", "device_id", "staff_id"])
    # The default only filled the rows already there; new rows always name both.
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("device_id", existing_type=sa.String(36), server_default=None)
        batch.alter_column("staff_id", existing_type=sa.String(36), server_default=None)


def downgrade() -> None:
    # One row per key survives (the first stored); the others' requests become unknown keys.
    op.execute(
        f"DELETE FROM {TABLE} WHERE EXISTS (SELECT 1 FROM {TABLE} AS o WHERE o.key = {TABLE}.key"
        f" AND (o.created_at < {TABLE}.created_at OR (o.created_at = {TABLE}.created_at AND"
        f" o.device_id || '/' || o.staff_id < {TABLE}.device_id || '/' || {TABLE}.staff_id)))"
    )
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(PK, type_="primary")
        batch.create_primary_key(PK, ["key"])
        batch.drop_column("staff_id")
        batch.drop_column("device_id")

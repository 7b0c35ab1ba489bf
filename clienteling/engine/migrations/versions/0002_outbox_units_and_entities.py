"""outbox units, states and the entities each entry touches

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('last_code', sa.String(length=64), nullable=True))
    # Entries written before units existed each stand alone.
    op.execute("UPDATE outbox SET unit_id = id")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_index(batch_op.f('ix_outbox_unit_id'), ['unit_id'], unique=False)

    # Created after the outbox is rebuilt above (SQLite batch mode drops and recreates it):
    # dropping it would cascade to rows already pointing at it.
    op.create_table('outbox_entities',
    sa.Column('outbox_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['outbox_seq'], ['outbox.seq'],
                            name=op.f('fk_outbox_entities_outbox_seq_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outbox_seq', 'entity_type', 'entity_id', name=op.f('pk_outbox_entities'))
    )
    with op.batch_alter_table('outbox_entities', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_entities_entity', ['entity_id', 'entity_type'], unique=False)
    # Old entries touch the one entity they name (changed) and their profile (referred to).
    op.execute("INSERT INTO outbox_entities (outbox_seq, entity_type, entity_id, role) "
               "SELECT seq, entity_type, entity_id, 'changed' FROM outbox")
    op.execute("INSERT INTO outbox_entities (outbox_seq, entity_type, entity_id, role) "
               "SELECT seq, 'profile', profile_id, 'ref' FROM outbox "
               "WHERE profile_id IS NOT NULL AND NOT (entity_type = 'profile' "
               "AND entity_id = profile_id)")


def downgrade() -> None:
    with op.batch_alter_table('outbox_entities', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_entities_entity')
    op.drop_table('outbox_entities')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_unit_id'))
        batch_op.drop_column('last_code')
        batch_op.drop_column('unit_id')

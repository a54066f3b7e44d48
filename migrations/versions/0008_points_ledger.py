"""points ledger: accounts, immutable transfers, months

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 17:13:35.548288
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Transfers are never updated or deleted: corrections are reversing transfers (DESIGN.md,
# principle 9). The database itself refuses it, whatever code runs.
PG_TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_transfer_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger transfers are immutable: post a reversing transfer instead';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_transfer_no_update BEFORE UPDATE OR DELETE ON ledger_transfer
  FOR EACH ROW EXECUTE FUNCTION ledger_transfer_immutable();
"""
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER ledger_transfer_no_{what} BEFORE {what.upper()} ON ledger_transfer
        BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable: post a reversing transfer
        instead'); END"""
    for what in ("update", "delete")
]


def upgrade() -> None:

    op.create_table('ledger_account',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('negative_allowed', sa.Boolean(), nullable=False),
    sa.Column('debits_posted', sa.Integer(), nullable=False),
    sa.Column('credits_posted', sa.Integer(), nullable=False),
    sa.Column('debits_pending', sa.Integer(), nullable=False),
    sa.Column('credits_pending', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_account_community'), ['community'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_account_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_account_owner'), ['owner'], unique=False)

    op.create_table('ledger_month',
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('ledger_transfer',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('debit', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('credit', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('pending_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pending_id')
    )
    with op.batch_alter_table('ledger_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transfer_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfer_credit'), ['credit'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfer_debit'), ['debit'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfer_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfer_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfer_phase'), ['phase'], unique=False)


    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_transfer_no_update ON ledger_transfer")
        op.execute("DROP FUNCTION IF EXISTS ledger_transfer_immutable()")

    with op.batch_alter_table('ledger_transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transfer_phase'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfer_month'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfer_kind'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfer_debit'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfer_credit'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfer_at'))

    op.drop_table('ledger_transfer')
    op.drop_table('ledger_month')
    with op.batch_alter_table('ledger_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_account_owner'))
        batch_op.drop_index(batch_op.f('ix_ledger_account_kind'))
        batch_op.drop_index(batch_op.f('ix_ledger_account_community'))

    op.drop_table('ledger_account')


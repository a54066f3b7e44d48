"""points: deeds, merchants, offers, redemptions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 17:17:38.340448
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('deed',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('resident', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('points_asked', sa.Integer(), nullable=False),
    sa.Column('points_given', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('table_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id')
    )
    with op.batch_alter_table('deed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deed_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_deed_reported_at'), ['reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deed_resident'), ['resident'], unique=False)
        batch_op.create_index(batch_op.f('ix_deed_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_deed_type_code'), ['type_code'], unique=False)

    op.create_table('merchant',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('rate', sa.Float(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchant_community'), ['community'], unique=False)

    op.create_table('offer',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('merchant', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_merchant'), ['merchant'], unique=False)

    op.create_table('redemption',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('resident', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('offer_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('merchant', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('workflow_id')
    )
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemption_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_merchant'), ['merchant'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_reserved_at'), ['reserved_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_resident'), ['resident'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemption_status'))
        batch_op.drop_index(batch_op.f('ix_redemption_resident'))
        batch_op.drop_index(batch_op.f('ix_redemption_reserved_at'))
        batch_op.drop_index(batch_op.f('ix_redemption_offer_id'))
        batch_op.drop_index(batch_op.f('ix_redemption_merchant'))
        batch_op.drop_index(batch_op.f('ix_redemption_community'))

    op.drop_table('redemption')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_merchant'))

    op.drop_table('offer')
    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchant_community'))

    op.drop_table('merchant')
    with op.batch_alter_table('deed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deed_type_code'))
        batch_op.drop_index(batch_op.f('ix_deed_status'))
        batch_op.drop_index(batch_op.f('ix_deed_resident'))
        batch_op.drop_index(batch_op.f('ix_deed_reported_at'))
        batch_op.drop_index(batch_op.f('ix_deed_community'))

    op.drop_table('deed')


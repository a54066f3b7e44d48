"""dog disputes: communities, buildings, residents, the dog registry, dog disputes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('building',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_building_community'), ['community'], unique=False)

    op.create_table('community',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_street'), ['street'], unique=False)

    op.create_table('dog',
    sa.Column('dog_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('breed', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('banned', sa.Boolean(), nullable=False),
    sa.Column('vaccinated_on', sa.Date(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('dog_id')
    )
    with op.batch_alter_table('dog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dog_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_owner'), ['owner'], unique=False)

    op.create_table('dog_dispute',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('behaviour', sa.Integer(), nullable=False),
    sa.Column('dog_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reporter', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('started_tier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ended_tier', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('path', sa.JSON(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recurrences', sa.Integer(), nullable=False),
    sa.Column('prior_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id')
    )
    with op.batch_alter_table('dog_dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dog_dispute_behaviour'), ['behaviour'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_community'), ['community'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_ended_tier'), ['ended_tier'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_reported_at'), ['reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_reporter'), ['reporter'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_street'), ['street'], unique=False)
        batch_op.create_index(batch_op.f('ix_dog_dispute_tier'), ['tier'], unique=False)

    op.create_table('resident',
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('community', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('building', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('room', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('username')
    )
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resident_community'), ['community'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_community'))

    op.drop_table('resident')
    with op.batch_alter_table('dog_dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dog_dispute_tier'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_street'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_status'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_reporter'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_reported_at'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_owner'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_ended_tier'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_community'))
        batch_op.drop_index(batch_op.f('ix_dog_dispute_behaviour'))

    op.drop_table('dog_dispute')
    with op.batch_alter_table('dog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dog_owner'))
        batch_op.drop_index(batch_op.f('ix_dog_community'))

    op.drop_table('dog')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_street'))

    op.drop_table('community')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_building_community'))

    op.drop_table('building')

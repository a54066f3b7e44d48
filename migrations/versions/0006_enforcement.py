"""enforcement: enterprises, officers, inspections, penalty cases, visits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('enforcement_officer',
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('certificate_no', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('certificate_expires', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('username'),
    sa.UniqueConstraint('certificate_no')
    )
    with op.batch_alter_table('enforcement_officer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enforcement_officer_department'), ['department'], unique=False)

    op.create_table('enterprise',
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('risk_grade', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('party_username', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('credit_code'),
    sa.UniqueConstraint('party_username')
    )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_street'), ['street'], unique=False)

    op.create_table('inspection',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enterprise_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lead_department', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('merged_into', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('items_total', sa.Integer(), nullable=False),
    sa.Column('items_checked', sa.Integer(), nullable=False),
    sa.Column('violations', sa.Integer(), nullable=False),
    sa.Column('penalty_cases', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id')
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_lead_department'), ['lead_department'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_merged_into'), ['merged_into'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_planned_date'), ['planned_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_visit_id'), ['visit_id'], unique=False)

    op.create_table('inspection_department',
    sa.Column('inspection_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('inspection_id', 'department')
    )
    with op.batch_alter_table('inspection_department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_department_department'), ['department'], unique=False)

    op.create_table('penalty_case',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enterprise_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('inspection_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('officers', sa.JSON(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposed_type', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('proposed_fine', sa.Float(), nullable=True),
    sa.Column('decision_type', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('fine', sa.Float(), nullable=True),
    sa.Column('hearing', sa.Boolean(), nullable=False),
    sa.Column('legal_reviewed', sa.Boolean(), nullable=False),
    sa.Column('payment_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('amount_paid', sa.Float(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id')
    )
    with op.batch_alter_table('penalty_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_penalty_case_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_case_decision_type'), ['decision_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_case_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_case_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_penalty_case_status'), ['status'], unique=False)

    op.create_table('visit',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('credit_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('countable', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_planned_date'), ['planned_date'], unique=False)

    op.create_table('visit_department',
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', 'department')
    )
    with op.batch_alter_table('visit_department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_department_department'), ['department'], unique=False)

    op.create_table('visit_join',
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('inspection_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', 'inspection_id')
    )
    op.create_table('visit_officer',
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', 'username')
    )
    with op.batch_alter_table('visit_officer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_officer_username'), ['username'], unique=False)

    with op.batch_alter_table('task_assignee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_assignee_role_department'))

    with op.batch_alter_table('task_watch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_watch_role_department'))



def downgrade() -> None:
    with op.batch_alter_table('task_watch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_watch_role_department'), ['role', 'department'], unique=False)

    with op.batch_alter_table('task_assignee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_assignee_role_department'), ['role', 'department'], unique=False)

    with op.batch_alter_table('visit_officer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_officer_username'))

    op.drop_table('visit_officer')
    op.drop_table('visit_join')
    with op.batch_alter_table('visit_department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_department_department'))

    op.drop_table('visit_department')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_planned_date'))
        batch_op.drop_index(batch_op.f('ix_visit_credit_code'))

    op.drop_table('visit')
    with op.batch_alter_table('penalty_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_penalty_case_status'))
        batch_op.drop_index(batch_op.f('ix_penalty_case_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_penalty_case_department'))
        batch_op.drop_index(batch_op.f('ix_penalty_case_decision_type'))
        batch_op.drop_index(batch_op.f('ix_penalty_case_credit_code'))

    op.drop_table('penalty_case')
    with op.batch_alter_table('inspection_department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_department_department'))

    op.drop_table('inspection_department')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_visit_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_type'))
        batch_op.drop_index(batch_op.f('ix_inspection_status'))
        batch_op.drop_index(batch_op.f('ix_inspection_planned_date'))
        batch_op.drop_index(batch_op.f('ix_inspection_merged_into'))
        batch_op.drop_index(batch_op.f('ix_inspection_lead_department'))
        batch_op.drop_index(batch_op.f('ix_inspection_credit_code'))

    op.drop_table('inspection')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_street'))

    op.drop_table('enterprise')
    with op.batch_alter_table('enforcement_officer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enforcement_officer_department'))

    op.drop_table('enforcement_officer')

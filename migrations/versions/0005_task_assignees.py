"""who may act on a task, one row per assignee (named officers, a second party)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'task_assignee',
        sa.Column('task_id', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('task_id', 'role', 'department', 'username'),
    )
    op.create_index('ix_task_assignee_role_department', 'task_assignee',
                    ['role', 'department'])
    with op.batch_alter_table('task') as batch_op:
        batch_op.add_column(sa.Column('assignees', sa.JSON(), nullable=True))
    # Tasks projected before this revision: their one assignee.
    op.execute("INSERT INTO task_assignee (task_id, role, department, username) "
               "SELECT id, assignee_role, COALESCE(assignee_department, ''), "
               "COALESCE(assignee_user, '') FROM task")


def downgrade() -> None:
    with op.batch_alter_table('task') as batch_op:
        batch_op.drop_column('assignees')
    op.drop_index('ix_task_assignee_role_department', 'task_assignee')
    op.drop_table('task_assignee')

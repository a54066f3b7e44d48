"""the generic task board: supervisors per task, everyone who reported a case, report locks,
notice kinds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'task_watch',
        sa.Column('task_id', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('task_id', 'role', 'department'),
    )
    op.create_index('ix_task_watch_role_department', 'task_watch', ['role', 'department'])
    op.create_table(
        'incident_reporter',
        sa.Column('case_id', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('case_id', 'username'),
    )
    op.create_index('ix_incident_reporter_username', 'incident_reporter', ['username'])
    op.create_table(
        'report_lock',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('notification') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(), nullable=False,
                                      server_default='status'))
    with op.batch_alter_table('task') as batch_op:
        batch_op.add_column(sa.Column('decisions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('supervised', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Cases reported before this revision: their first reporter follows them.
    op.execute("INSERT INTO incident_reporter (case_id, username) "
               "SELECT id, reporter FROM incident")


def downgrade() -> None:
    with op.batch_alter_table('task') as batch_op:
        batch_op.drop_column('supervised')
        batch_op.drop_column('decisions')
    with op.batch_alter_table('notification') as batch_op:
        batch_op.drop_column('kind')
    op.drop_table('report_lock')
    op.drop_index('ix_incident_reporter_username', 'incident_reporter')
    op.drop_table('incident_reporter')
    op.drop_index('ix_task_watch_role_department', 'task_watch')
    op.drop_table('task_watch')

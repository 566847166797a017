"""KPI pages at scale: people registered before the program counted from an index alone (role, then the moment of
registration), not by reading every person's row

Revision ID: 0045
Revises: 0043
Create Date: 2026-12-07 20:30:00
"""
from alembic import op


revision = '0045'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_kpi_users_role_created_at', 'users', ['role', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_kpi_users_role_created_at', table_name='users')

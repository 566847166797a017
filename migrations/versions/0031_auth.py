"""rate-limit counters in the database: every gunicorn process and machine sees the same ones without Redis

Revision ID: 0031
Revises: 0025
Create Date: 2026-12-07 17:00:00

`rate_limit_counters` holds the fixed-window counters of the rate limits (failed sign-ins per account and
address and per address, registration, the company lookup, API keys) when neither RATELIMIT_STORAGE_URI nor
REDIS_URL is set: one row per key, incremented atomically, expired rows deleted as they are noticed. A new
table only, so no batch rebuild of any existing one.
"""
import sqlalchemy as sa
from alembic import op


revision = '0031'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=1000), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.CheckConstraint('hits >= 0', name=op.f('ck_rate_limit_counters_hits_not_negative')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counters_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_expires_at'))
    op.drop_table('rate_limit_counters')

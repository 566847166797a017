"""audience history: dated spans of a person's audience, one open span per person, backfilled from users.audience

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 14:00:00

users.audience stays as the current value (the services keep it in step with the open span). Every partner
person gets one open span with their current audience from the moment they registered; staff get none.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0026'
branch_labels = None
depends_on = None

# Also run by tests/partners/test_audience.py; safe to run twice (nobody gets a second span).
BACKFILL = """
INSERT INTO audience_spans (user_id, audience, started_at, ended_at, changed_by_id)
SELECT users.id, users.audience, users.created_at, NULL, NULL FROM users
WHERE users.audience IS NOT NULL AND users.role IN ('participant', 'partner_admin')
  AND NOT EXISTS (SELECT 1 FROM audience_spans WHERE audience_spans.user_id = users.id)
"""


def upgrade():
    op.create_table('audience_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("audience IN ('manager', 'specialist')", name=op.f('ck_audience_spans_audience_known')),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_audience_spans_ends_after_start')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_audience_spans_changed_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audience_spans_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_spans'))
    )
    with op.batch_alter_table('audience_spans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audience_spans_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_audience_spans_open', ['user_id'], unique=True,
                              sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('audience_spans', schema=None) as batch_op:
        batch_op.drop_index('uq_audience_spans_open', sqlite_where=sa.text('ended_at IS NULL'),
                            postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_audience_spans_user_id'))
    op.drop_table('audience_spans')

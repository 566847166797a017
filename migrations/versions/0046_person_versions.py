"""person_versions: how many transactions changed a person's own rows (row 0: the program's prizes, courses and
news); cached pages of a person are keyed by it

Revision ID: 0046
Revises: 0042
Create Date: 2026-12-07 20:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0046'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_versions',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_person_versions')))


def downgrade():
    op.drop_table('person_versions')

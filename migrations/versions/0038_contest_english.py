"""contests in English: optional English title, description and rules beside the Russian ones

Revision ID: 0038
Revises: 0025
Create Date: 2026-12-07 17:15:00

English readers see a contest's English texts where the manager wrote them, and the Russian ones otherwise,
as prizes, rules and courses already do. Nullable columns: adding them needs no table rebuild on SQLite.
"""
import sqlalchemy as sa
from alembic import op


revision = '0038'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('contests', sa.Column('title_en', sa.String(200), nullable=True))
    op.add_column('contests', sa.Column('description_en', sa.Text(), nullable=True))
    op.add_column('contests', sa.Column('rules_en', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('contests') as batch:
        batch.drop_column('rules_en')
        batch.drop_column('description_en')
        batch.drop_column('title_en')

"""fraud signals: a similarity hash of a PDF scan's text (in four indexed bands), so a near-duplicate PDF is found
by an indexed read

Revision ID: 0043
Revises: 0035
Create Date: 2026-12-07 20:10:00

Columns are only added (no table is rebuilt). Claims scored before this revision have no text hash: their PDFs are
not compared by text (the file hash still is).
"""
import sqlalchemy as sa
from alembic import op


revision = '0043'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_simhash', sa.String(length=16), nullable=True))
        for band in range(4):
            batch_op.add_column(sa.Column(f'text_band{band}', sa.String(length=4), nullable=True))
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        for band in range(4):
            batch_op.create_index(batch_op.f(f'ix_claim_risks_text_band{band}'), [f'text_band{band}'], unique=False)


def downgrade():
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        for band in range(4):
            batch_op.drop_index(batch_op.f(f'ix_claim_risks_text_band{band}'))
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        for band in range(4):
            batch_op.drop_column(f'text_band{band}')
        batch_op.drop_column('text_simhash')

"""fraud signals: a similarity hash of a PDF scan's text (in four indexed bands), so a near-duplicate PDF is found
by an indexed read; the company's claims newest first and the claims decided as fraud by index (scoring's cost)

Revision ID: 0043
Revises: 0040
Create Date: 2026-12-07 20:10:00

Columns and indexes are only added (no table is rebuilt). Claims scored before this revision have no text hash: their PDFs are
not compared by text (the file hash still is).
"""
import sqlalchemy as sa
from alembic import op


revision = '0043'
down_revision = '0040'
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
        batch_op.create_index('ix_claim_risks_fraud_claim_id', ['claim_id'], unique=False,
                              sqlite_where=sa.text('fraud = 1'), postgresql_where=sa.text('fraud'))
    op.create_index('ix_claims_company_id_submitted_at_id', 'claims', ['company_id', 'submitted_at', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_claims_company_id_submitted_at_id', table_name='claims')
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_risks_fraud_claim_id')
        for band in range(4):
            batch_op.drop_index(batch_op.f(f'ix_claim_risks_text_band{band}'))
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        for band in range(4):
            batch_op.drop_column(f'text_band{band}')
        batch_op.drop_column('text_simhash')

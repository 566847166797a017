"""fraud signals: a risk score per submitted claim (its signals, the scan's fingerprints, the two-reviewer hold and
the "fraud" decision), the manager's thresholds, and claims found by customer INN

Revision ID: 0034
Revises: 0025
Create Date: 2026-12-07 17:00:00

Claims submitted before this revision have no score until `flask fraud rescore` scores them (the queue shows "—").
No table is rebuilt: claims only gain an index.
"""
import sqlalchemy as sa
from alembic import op


revision = '0034'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('claim_risks',
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), nullable=True),
    sa.Column('scan_phash', sa.String(length=16), nullable=True),
    sa.Column('phash_band0', sa.String(length=4), nullable=True),
    sa.Column('phash_band1', sa.String(length=4), nullable=True),
    sa.Column('phash_band2', sa.String(length=4), nullable=True),
    sa.Column('phash_band3', sa.String(length=4), nullable=True),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('held_by_id', sa.Integer(), nullable=True),
    sa.Column('held_at', sa.DateTime(), nullable=True),
    sa.Column('fraud', sa.Boolean(), nullable=False),
    sa.Column('fraud_by_id', sa.Integer(), nullable=True),
    sa.Column('fraud_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_claim_risks_score_in_range')),
    sa.CheckConstraint('held_by_id IS NULL OR held', name=op.f('ck_claim_risks_holder_only_when_held')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_risks_claim_id_claims')),
    sa.ForeignKeyConstraint(['held_by_id'], ['users.id'], name=op.f('fk_claim_risks_held_by_id_users')),
    sa.ForeignKeyConstraint(['fraud_by_id'], ['users.id'], name=op.f('fk_claim_risks_fraud_by_id_users')),
    sa.PrimaryKeyConstraint('claim_id', name=op.f('pk_claim_risks'))
    )
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        batch_op.create_index('ix_claim_risks_score_claim_id', ['score', 'claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_risks_scan_sha256'), ['scan_sha256'], unique=False)
        for band in range(4):
            batch_op.create_index(batch_op.f(f'ix_claim_risks_phash_band{band}'), [f'phash_band{band}'], unique=False)
    op.create_table('fraud_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulk_max_score', sa.Integer(), server_default='20', nullable=False),
    sa.Column('hold_score', sa.Integer(), server_default='50', nullable=False),
    sa.Column('large_sale_kopecks', sa.Integer(), server_default='30000000', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('bulk_max_score >= 0 AND bulk_max_score < hold_score AND hold_score <= 100',
                       name=op.f('ck_fraud_settings_thresholds_ordered')),
    sa.CheckConstraint('large_sale_kopecks > 0', name=op.f('ck_fraud_settings_large_sale_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_settings'))
    )
    op.create_index('ix_claims_customer_inn_invoice_date', 'claims', ['customer_inn', 'invoice_date'], unique=False)


def downgrade():
    op.drop_index('ix_claims_customer_inn_invoice_date', table_name='claims')
    op.drop_table('fraud_settings')
    with op.batch_alter_table('claim_risks', schema=None) as batch_op:
        for band in range(4):
            batch_op.drop_index(batch_op.f(f'ix_claim_risks_phash_band{band}'))
        batch_op.drop_index(batch_op.f('ix_claim_risks_scan_sha256'))
        batch_op.drop_index('ix_claim_risks_score_claim_id')
    op.drop_table('claim_risks')

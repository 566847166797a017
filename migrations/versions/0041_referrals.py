"""referrals: a personal link code per participant (one open at a time), the referral a registration through it
records (one referrer per invitee, never oneself) with its first sale and bonus, and the referral bonus settings

Revision ID: 0041
Revises: 0046
Create Date: 2026-12-07 20:00:00

Only new tables: nothing existing is rebuilt. A paid referral names its one ledger transaction (key
`referral:<invitee id>`); `portal check` compares the two.
"""
from alembic import op
import sqlalchemy as sa


revision = '0041'
down_revision = '0046'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('cap_per_period', sa.Integer(), nullable=True),
    sa.Column('cap_period', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_referral_settings_single_row')),
    sa.CheckConstraint('points > 0', name=op.f('ck_referral_settings_points_positive')),
    sa.CheckConstraint('cap_per_period IS NULL OR cap_per_period > 0', name=op.f('ck_referral_settings_cap_positive')),
    sa.CheckConstraint("cap_period IN ('month', 'quarter', 'year')", name=op.f('ck_referral_settings_period_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_settings'))
    )

    op.create_table('referral_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_referral_codes_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_referral_codes_code'))
    )
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_codes_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ux_referral_codes_open_per_user', ['user_id'], unique=True,
                              sqlite_where=sa.text('disabled_at IS NULL'),
                              postgresql_where=sa.text('disabled_at IS NULL'))

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('first_sale_at', sa.DateTime(), nullable=True),
    sa.Column('first_claim_id', sa.Integer(), nullable=True),
    sa.Column('bonus_points', sa.Integer(), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=True),
    sa.CheckConstraint('referrer_id != invitee_id', name=op.f('ck_referrals_not_oneself')),
    sa.CheckConstraint("status IN ('waiting', 'paid', 'not_paid')", name=op.f('ck_referrals_status_known')),
    sa.CheckConstraint("reason IS NULL OR reason IN ('cap_reached', 'bonus_off')",
                       name=op.f('ck_referrals_reason_known')),
    sa.CheckConstraint("(status = 'waiting') = (first_sale_at IS NULL)", name=op.f('ck_referrals_first_sale_decides')),
    sa.CheckConstraint("status != 'paid' OR (transaction_id IS NOT NULL AND bonus_points > 0 AND paid_on IS NOT NULL"
                       " AND reason IS NULL)", name=op.f('ck_referrals_paid_has_transaction')),
    sa.CheckConstraint("status != 'not_paid' OR (transaction_id IS NULL AND reason IS NOT NULL)",
                       name=op.f('ck_referrals_not_paid_has_reason')),
    sa.CheckConstraint("status != 'waiting' OR (transaction_id IS NULL AND reason IS NULL)",
                       name=op.f('ck_referrals_waiting_is_open')),
    sa.ForeignKeyConstraint(['referrer_id'], ['users.id'], name=op.f('fk_referrals_referrer_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invitee_id'], ['users.id'], name=op.f('fk_referrals_invitee_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['code_id'], ['referral_codes.id'], name=op.f('fk_referrals_code_id_referral_codes'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_claim_id'], ['claims.id'], name=op.f('fk_referrals_first_claim_id_claims'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'],
                            name=op.f('fk_referrals_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('invitee_id', name=op.f('uq_referrals_invitee_id')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_referrals_transaction_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_referrals_referrer_paid_on', ['referrer_id', 'paid_on'], unique=False)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_referrer_paid_on')
        batch_op.drop_index(batch_op.f('ix_referrals_created_at'))
    op.drop_table('referrals')
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.drop_index('ux_referral_codes_open_per_user', sqlite_where=sa.text('disabled_at IS NULL'),
                            postgresql_where=sa.text('disabled_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_referral_codes_user_id'))
    op.drop_table('referral_codes')
    op.drop_table('referral_settings')

"""company sales plans: a target for a partner company as a whole, and its monthly actuals; English texts of
lessons, quizzes and products

Revision ID: 0042
Revises: 0035
Create Date: 2026-12-07 20:00:00

`company_plans` holds a company's target per period and metric (as `sales_plans` does for a person).
`company_plan_actuals` is a maintained number: the approved sales recorded for each company per month of their
invoice date, kept by the claim events and checked by `portal check`; existing approved claims are counted into
it here. Course items, quiz questions and answers, and products get optional English texts (nullable columns:
no table rebuild on SQLite).
"""
import sqlalchemy as sa
from alembic import op


revision = '0042'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("metric IN ('sales_amount', 'units', 'margin', 'approved_claims')", name=op.f('ck_company_plans_metric_known')),
    sa.CheckConstraint("period_kind IN ('month', 'quarter')", name=op.f('ck_company_plans_period_kind_known')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_company_plans_period_ordered')),
    sa.CheckConstraint('target > 0', name=op.f('ck_company_plans_target_positive')),
    sa.ForeignKeyConstraint(['company_id'], ['partner_companies.id'], name=op.f('fk_company_plans_company_id_partner_companies')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_company_plans_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_plans')),
    sa.UniqueConstraint('company_id', 'metric', 'period_start', name='one_per_company_metric_period')
    )
    with op.batch_alter_table('company_plans', schema=None) as batch_op:
        batch_op.create_index('ix_company_plans_period_metric', ['period_start', 'metric'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_plans_company_id'), ['company_id'], unique=False)

    op.create_table('company_plan_actuals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('sales_amount', sa.BigInteger(), nullable=False),
    sa.Column('units', sa.BigInteger(), nullable=False),
    sa.Column('margin', sa.BigInteger(), nullable=False),
    sa.Column('approved_claims', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['partner_companies.id'], name=op.f('fk_company_plan_actuals_company_id_partner_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_plan_actuals')),
    sa.UniqueConstraint('company_id', 'month', name='one_per_company_month')
    )
    with op.batch_alter_table('company_plan_actuals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_plan_actuals_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_plan_actuals_month'), ['month'], unique=False)

    # Existing approved sales, per company and month of the invoice date (the portal's rebuild does the same).
    month = ("date_trunc('month', c.invoice_date)::date" if op.get_bind().dialect.name == 'postgresql'
             else "date(c.invoice_date, 'start of month')")
    op.execute(f"""
        INSERT INTO company_plan_actuals (company_id, month, sales_amount, units, margin, approved_claims)
        SELECT c.company_id, {month},
               SUM(l.quantity * l.unit_price_kopecks), SUM(l.quantity),
               SUM(CASE WHEN l.unit_price_kopecks > l.unit_cost_kopecks
                        THEN l.quantity * (l.unit_price_kopecks - l.unit_cost_kopecks) ELSE 0 END),
               COUNT(DISTINCT c.id)
        FROM claims c JOIN claim_lines l ON l.claim_id = c.id
        WHERE c.status = 'approved'
        GROUP BY c.company_id, {month}
    """)

    op.add_column('course_items', sa.Column('title_en', sa.String(200), nullable=True))
    op.add_column('course_items', sa.Column('body_en', sa.Text(), nullable=True))
    op.add_column('quiz_questions', sa.Column('text_en', sa.String(500), nullable=True))
    op.add_column('quiz_choices', sa.Column('text_en', sa.String(300), nullable=True))
    op.add_column('products', sa.Column('name_en', sa.String(200), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch rebuild of products would trip the foreign keys
    # of the claim lines that name them.
    for table, column in (('products', 'name_en'), ('quiz_choices', 'text_en'), ('quiz_questions', 'text_en'),
                          ('course_items', 'body_en'), ('course_items', 'title_en')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    op.drop_table('company_plan_actuals')
    op.drop_table('company_plans')

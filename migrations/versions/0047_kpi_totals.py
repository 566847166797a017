"""KPI totals: each company's and group's figures summed over the stages (the lists rank a row per company), and
the points issued per day of the program's calendar (the budget's run rate reads 30 rows, not the ledger); the companies
with a seller per stage counted from an index

Revision ID: 0047
Revises: 0045
Create Date: 2026-12-07 23:20:00

Both tables are filled here from what the pages read today: the totals from the closed stages' stored results and
the open stages' counters, the days from the ledger's issuing entries (summed per minute by the database, then put
on the program's calendar). Only new tables: nothing is rebuilt.
"""
from collections import defaultdict
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0047'
down_revision = '0045'
branch_labels = None
depends_on = None

TOTALED = ('registered', 'sales_amount', 'claims_approved', 'first_selling', 'first_trained')


def _program_zone():
    from zoneinfo import ZoneInfo

    from portal.core.time import program_zone
    try:
        return program_zone()
    except Exception:  # noqa: BLE001 - outside the app: the program's default zone
        return ZoneInfo('Europe/Moscow')


def upgrade():
    # The companies with a seller in each stage are counted from these indexes alone, not from the counters' rows.
    op.create_index('ix_kpi_counters_selling', 'kpi_counters', ['stage_id', 'scope_kind', 'active_people'],
                    unique=False)
    op.create_index('ix_kpi_stage_results_selling', 'kpi_stage_results', ['stage_id', 'scope_kind', 'active_people'],
                    unique=False)
    op.create_table('kpi_scope_totals',
    sa.Column('scope_kind', sa.String(length=10), nullable=False),
    sa.Column('scope_key', sa.String(length=120), nullable=False),
    *(sa.Column(metric, sa.BigInteger(), server_default='0', nullable=False) for metric in TOTALED),
    sa.CheckConstraint("scope_kind IN ('company', 'group')", name=op.f('ck_kpi_scope_totals_scope_totaled')),
    sa.PrimaryKeyConstraint('scope_kind', 'scope_key', name=op.f('pk_kpi_scope_totals'))
    )
    op.create_table('kpi_points_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('issued', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_kpi_points_days'))
    )
    sums = ', '.join(f'coalesce(sum({m}), 0)' for m in TOTALED)
    columns = ', '.join(TOTALED)
    op.execute(f"""
        INSERT INTO kpi_scope_totals (scope_kind, scope_key, {columns})
        SELECT scope_kind, scope_key, {sums} FROM (
            SELECT scope_kind, scope_key, {columns} FROM kpi_stage_results
            WHERE stage_id IN (SELECT id FROM kpi_stages WHERE closed_at IS NOT NULL)
              AND scope_kind IN ('company', 'group')
            UNION ALL
            SELECT scope_kind, scope_key, {columns} FROM kpi_counters
            WHERE stage_id IN (SELECT id FROM kpi_stages WHERE closed_at IS NULL)
              AND scope_kind IN ('company', 'group')
        ) AS rows GROUP BY scope_kind, scope_key
    """)
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    minute = "date_trunc('minute', t.created_at)" if postgres else "strftime('%Y-%m-%d %H:%M', t.created_at)"
    rows = bind.execute(sa.text(f"""
        SELECT {minute} AS minute, sum(e.amount) FROM ledger_entries e
        JOIN ledger_accounts a ON a.id = e.account_id
        JOIN ledger_transactions t ON t.id = e.transaction_id
        WHERE a.kind IN ('issuance', 'adjustment') GROUP BY {minute}
    """))
    zone, days = _program_zone(), defaultdict(int)
    for when, amount in rows:
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        days[when.replace(tzinfo=timezone.utc).astimezone(zone).date()] -= int(amount or 0)
    table = sa.table('kpi_points_days', sa.column('day', sa.Date()), sa.column('issued', sa.BigInteger()))
    filled = [{'day': day, 'issued': issued} for day, issued in sorted(days.items()) if issued]
    if filled:
        op.bulk_insert(table, filled)


def downgrade():
    op.drop_index('ix_kpi_stage_results_selling', table_name='kpi_stage_results')
    op.drop_index('ix_kpi_counters_selling', table_name='kpi_counters')
    op.drop_table('kpi_points_days')
    op.drop_table('kpi_scope_totals')

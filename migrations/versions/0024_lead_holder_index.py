"""lead holders: one lead holds a customer (by INN) at a time, decided by a unique index

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-07 13:40:00

leads.holder_inn is the customer's INN while the lead holds the customer (awaiting review, qualified, or won until
the later of its protection date and 180 days after the win), else NULL; its unique index lets one of two parallel
registrations or qualifications through. Existing data: of the leads holding one INN, the oldest keeps it; the
others stay as they are, hold nothing, and `portal check` lists the customer until a manager decides. Won leads get
their protection date moved to 180 days after the win (never earlier). lead_settings.won_protection_days is that
period (180), which managers change on the lead settings page.

A check keeps holder_inn equal to the customer's INN and only on a holding state: a constraint on PostgreSQL, two
triggers on SQLite (a CHECK there needs the table rebuilt, and leads is referenced by five tables); the won period
is positive by a constraint on PostgreSQL and a trigger on SQLite, for the same reason of not rebuilding tables.
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

WON_PROTECTION_DAYS = 180  # portal.leads.holders.WON_PROTECTION_DAYS when this was written
CHECK = ("holder_inn IS NULL OR (holder_inn = customer_inn AND status IN ('submitted', 'qualified', 'won'))")
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER leads_holder_is_holding_{when} BEFORE {what} ON leads WHEN NOT ("
    + CHECK.replace("holder_inn", "NEW.holder_inn").replace("customer_inn", "NEW.customer_inn")
    .replace("status", "NEW.status")
    + ") BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_leads_holder_is_holding'); END"
    for when, what in (("insert", "INSERT"), ("update", "UPDATE OF holder_inn, customer_inn, status"))
]

SQLITE_SETTINGS_TRIGGERS = [
    f"CREATE TRIGGER lead_settings_won_protection_positive_{when} BEFORE {what} ON lead_settings "
    "WHEN NEW.won_protection_days <= 0 "
    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_lead_settings_won_protection_positive'); END"
    for when, what in (("insert", "INSERT"), ("update", "UPDATE OF won_protection_days"))
]

leads = sa.table(
    "leads", sa.column("id", sa.Integer), sa.column("customer_inn", sa.String), sa.column("status", sa.String),
    sa.column("protected_until", sa.DateTime), sa.column("closed_at", sa.DateTime),
    sa.column("holder_inn", sa.String),
)


def keep_oldest_holders(connection, now: datetime | None = None) -> None:
    """Give each customer's INN to its oldest lead that holds it by its state."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = connection.execute(
        sa.select(leads.c.id, leads.c.customer_inn, leads.c.status, leads.c.protected_until, leads.c.closed_at)
        .where(leads.c.status.in_(("submitted", "qualified", "won"))).order_by(leads.c.id)
    ).all()
    taken, changes = set(), []
    for row in rows:
        until = row.protected_until
        if row.status == "won":
            ends = [m for m in (row.protected_until, row.closed_at and row.closed_at + timedelta(days=WON_PROTECTION_DAYS))
                    if m is not None]
            until = max(ends) if ends else None
            if until is None or until <= now:
                continue
        if row.customer_inn in taken:
            continue
        taken.add(row.customer_inn)
        changes.append({"lead_id": row.id, "inn": row.customer_inn, "until": until})
    if changes:
        connection.execute(
            leads.update().where(leads.c.id == sa.bindparam("lead_id"))
            .values(holder_inn=sa.bindparam("inn"), protected_until=sa.bindparam("until")),
            changes,
        )


def upgrade():
    op.add_column('lead_settings', sa.Column('won_protection_days', sa.Integer(), nullable=False,
                                             server_default=str(WON_PROTECTION_DAYS)))
    op.add_column('leads', sa.Column('holder_inn', sa.String(length=12), nullable=True))
    keep_oldest_holders(op.get_bind())
    op.create_index(op.f('ix_leads_holder_inn'), 'leads', ['holder_inn'], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f('ck_leads_holder_is_holding'), 'leads', sa.text(CHECK))
        op.create_check_constraint(op.f('ck_lead_settings_won_protection_positive'), 'lead_settings',
                                   sa.text('won_protection_days > 0'))
    else:
        for statement in SQLITE_TRIGGERS + SQLITE_SETTINGS_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f('ck_lead_settings_won_protection_positive'), 'lead_settings', type_='check')
        op.drop_constraint(op.f('ck_leads_holder_is_holding'), 'leads', type_='check')
    else:
        for name in ("leads_holder_is_holding", "lead_settings_won_protection_positive"):
            op.execute(f"DROP TRIGGER {name}_insert")
            op.execute(f"DROP TRIGGER {name}_update")
    op.drop_index(op.f('ix_leads_holder_inn'), table_name='leads')
    op.drop_column('leads', 'holder_inn')
    op.drop_column('lead_settings', 'won_protection_days')

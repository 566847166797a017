"""indexes for the sorts and filters of large programs, an indexed people search, the ledger's running totals

Revision ID: 0016
Revises: 0009
Create Date: 2026-11-23 13:50:00

- users(full_name, id): the people list's sort, read from the index instead of sorting 100,000 rows per page;
- claims(status, submitted_at, id): the review queue's filter and sort;
- users' birthday month and day (an expression index, as the birthday job's query spells them on each engine):
  the job reads today's birthdays instead of every participant;
- people search: on SQLite an FTS5 table with the trigram tokenizer (substring matches, case folded for Cyrillic
  too), kept by triggers on users; on PostgreSQL pg_trgm GIN indexes on the very expressions the search compares;
- ledger_totals: per personal account kind, the sum of balances and how many accounts hold points, updated with
  every posting, so that the program's totals are read, not summed over every account.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SQLITE_BIRTHDAY = ("CREATE INDEX ix_users_birthday_month_day ON users "
                   "(CAST(STRFTIME('%m', birthday) AS INTEGER), CAST(STRFTIME('%d', birthday) AS INTEGER))")
POSTGRES_BIRTHDAY = ("CREATE INDEX ix_users_birthday_month_day ON users "
                     "(EXTRACT(month FROM birthday), EXTRACT(day FROM birthday))")
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE users_search USING fts5(full_name, email, phone, content='users', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN "
    "INSERT INTO users_search(rowid, full_name, email, phone) VALUES (new.id, new.full_name, new.email, new.phone); "
    "END",
    "CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN "
    "INSERT INTO users_search(users_search, rowid, full_name, email, phone) "
    "VALUES ('delete', old.id, old.full_name, old.email, old.phone); END",
    "CREATE TRIGGER users_search_update AFTER UPDATE OF full_name, email, phone ON users BEGIN "
    "INSERT INTO users_search(users_search, rowid, full_name, email, phone) "
    "VALUES ('delete', old.id, old.full_name, old.email, old.phone); "
    "INSERT INTO users_search(rowid, full_name, email, phone) VALUES (new.id, new.full_name, new.email, new.phone); "
    "END",
    "INSERT INTO users_search(users_search) VALUES ('rebuild')",
]
POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX ix_users_full_name_trgm ON users USING gin (lower(full_name COLLATE "und-x-icu") gin_trgm_ops)',
    "CREATE INDEX ix_users_email_trgm ON users USING gin (email gin_trgm_ops)",
    "CREATE INDEX ix_users_phone_trgm ON users USING gin (phone gin_trgm_ops)",
]


def upgrade():
    op.create_index('ix_users_full_name_id', 'users', ['full_name', 'id'])
    op.create_index('ix_claims_status_submitted_at_id', 'claims', ['status', 'submitted_at', 'id'])
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(SQLITE_BIRTHDAY if sqlite else POSTGRES_BIRTHDAY)
    for statement in SQLITE_SEARCH if sqlite else POSTGRES_SEARCH:
        op.execute(statement)
    op.create_table(
        'ledger_totals',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('balance', sa.BigInteger(), nullable=False),
        sa.Column('accounts_with_points', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', name=op.f('pk_ledger_totals')),
    )
    op.execute(
        "INSERT INTO ledger_totals (kind, balance, accounts_with_points) "
        "SELECT kind, COALESCE(SUM(balance), 0), SUM(CASE WHEN balance > 0 THEN 1 ELSE 0 END) "
        "FROM ledger_accounts WHERE kind IN ('wallet', 'held', 'debt') GROUP BY kind"
    )


def downgrade():
    op.drop_table('ledger_totals')
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('users_search_insert', 'users_search_delete', 'users_search_update'):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE users_search")
    else:
        for index in ('ix_users_full_name_trgm', 'ix_users_email_trgm', 'ix_users_phone_trgm'):
            op.execute(f"DROP INDEX {index}")
    op.execute("DROP INDEX ix_users_birthday_month_day")
    op.drop_index('ix_claims_status_submitted_at_id', table_name='claims')
    op.drop_index('ix_users_full_name_id', table_name='users')

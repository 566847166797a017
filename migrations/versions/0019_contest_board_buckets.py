"""contest board buckets: people per value bucket, kept by triggers, to place anyone in a large board fast

Revision ID: 0019
Revises: 0009
Create Date: 2026-11-23 14:05:00

The triggers are the only writers of contest_board_buckets. A later migration that rebuilds contest_scores or
contest_frozen_scores with SQLite's batch mode drops them: it must call create_triggers() again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = {"contest_scores": False, "contest_frozen_scores": True}


def _sqlite_bucket(value: str) -> str:
    # the same as portal.contests.models.board_bucket: digits * 100 + the two leading digits
    return (f"(length(CAST({value} AS TEXT)) * 100 + CAST(substr(CAST({value} AS TEXT), 1, 2) AS INTEGER))")


def _sqlite_key(row: str) -> str:
    return f"(CASE WHEN {row}.value > 0 THEN {_sqlite_bucket(row + '.value')} ELSE 0 END)"


def _sqlite_triggers(table: str, frozen: int) -> list[str]:
    inc = (f"INSERT INTO contest_board_buckets (contest_id, league_id, frozen, bucket, n) "
           f"SELECT NEW.contest_id, NEW.league_id, {frozen}, {_sqlite_bucket('NEW.value')}, 1 WHERE NEW.value > 0 "
           f"ON CONFLICT (contest_id, league_id, frozen, bucket) DO UPDATE SET n = n + 1;")
    dec = (f"UPDATE contest_board_buckets SET n = n - 1 WHERE OLD.value > 0 AND contest_id = OLD.contest_id "
           f"AND league_id = OLD.league_id AND frozen = {frozen} AND bucket = {_sqlite_bucket('OLD.value')};")
    moved = (f"{_sqlite_key('OLD')} != {_sqlite_key('NEW')} OR OLD.contest_id != NEW.contest_id "
             f"OR OLD.league_id != NEW.league_id")
    return [
        f"CREATE TRIGGER {table}_bucket_insert AFTER INSERT ON {table} BEGIN {inc} END",
        f"CREATE TRIGGER {table}_bucket_delete AFTER DELETE ON {table} BEGIN {dec} END",
        f"CREATE TRIGGER {table}_bucket_update AFTER UPDATE OF value, contest_id, league_id ON {table} "
        f"WHEN {moved} BEGIN {dec} {inc} END",
    ]


POSTGRES_FUNCTIONS = """
CREATE OR REPLACE FUNCTION contest_board_bucket(v bigint) RETURNS integer LANGUAGE sql IMMUTABLE AS
$$ SELECT length(v::text) * 100 + substr(v::text, 1, 2)::integer $$;

CREATE OR REPLACE FUNCTION contest_board_buckets_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    is_frozen boolean := TG_ARGV[0]::boolean;
    old_key integer;
    new_key integer;
    old_first boolean;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.value > 0 THEN old_key := contest_board_bucket(OLD.value); END IF;
    IF TG_OP <> 'DELETE' AND NEW.value > 0 THEN new_key := contest_board_bucket(NEW.value); END IF;
    IF TG_OP = 'UPDATE' AND old_key IS NOT DISTINCT FROM new_key AND OLD.contest_id = NEW.contest_id
       AND OLD.league_id = NEW.league_id THEN
        RETURN NULL;
    END IF;
    -- Touch the two bucket rows in one global order (contest, league, bucket) so that a sale and a reversal
    -- moving two people across the same two buckets in opposite directions cannot deadlock.
    old_first := new_key IS NULL OR (old_key IS NOT NULL AND
        (OLD.contest_id, OLD.league_id, old_key) < (NEW.contest_id, NEW.league_id, new_key));
    IF old_first AND old_key IS NOT NULL THEN
        UPDATE contest_board_buckets SET n = n - 1 WHERE contest_id = OLD.contest_id
            AND league_id = OLD.league_id AND frozen = is_frozen AND bucket = old_key;
    END IF;
    IF new_key IS NOT NULL THEN
        INSERT INTO contest_board_buckets (contest_id, league_id, frozen, bucket, n)
            VALUES (NEW.contest_id, NEW.league_id, is_frozen, new_key, 1)
            ON CONFLICT (contest_id, league_id, frozen, bucket) DO UPDATE SET n = contest_board_buckets.n + 1;
    END IF;
    IF NOT old_first AND old_key IS NOT NULL THEN
        UPDATE contest_board_buckets SET n = n - 1 WHERE contest_id = OLD.contest_id
            AND league_id = OLD.league_id AND frozen = is_frozen AND bucket = old_key;
    END IF;
    RETURN NULL;
END $$;
"""


def create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTIONS)
        for table, frozen in TABLES.items():
            op.execute(f"CREATE TRIGGER {table}_buckets AFTER INSERT OR UPDATE OF value, contest_id, league_id "
                       f"OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION contest_board_buckets_keep('{frozen}')")
    else:
        for table, frozen in TABLES.items():
            for statement in _sqlite_triggers(table, int(frozen)):
                op.execute(statement)


def upgrade():
    op.create_table('contest_board_buckets',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('league_id', sa.Integer(), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.CheckConstraint('n >= 0', name='ck_contest_board_buckets_n'),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], ),
    sa.ForeignKeyConstraint(['league_id'], ['contest_leagues.id'], ),
    sa.PrimaryKeyConstraint('contest_id', 'league_id', 'frozen', 'bucket')
    )
    create_triggers()
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, frozen in TABLES.items():
        bucket = "contest_board_bucket(value)" if postgres else _sqlite_bucket("value")
        flag = ("true" if frozen else "false") if postgres else int(frozen)
        op.execute(f"INSERT INTO contest_board_buckets (contest_id, league_id, frozen, bucket, n) "
                   f"SELECT contest_id, league_id, {flag}, {bucket}, count(*) FROM {table} WHERE value > 0 "
                   f"GROUP BY contest_id, league_id, {bucket}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_buckets ON {table}")
        op.execute("DROP FUNCTION IF EXISTS contest_board_buckets_keep()")
        op.execute("DROP FUNCTION IF EXISTS contest_board_bucket(bigint)")
    else:
        for table in TABLES:
            for kind in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bucket_{kind}")
    op.drop_table('contest_board_buckets')

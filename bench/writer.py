"""Bulk writes for the scale builder: executemany on SQLite, COPY on PostgreSQL, on one raw connection.

Rows skip the ORM and its Python-side defaults, so every write is checked against the mapped table: a column
that is NOT NULL without a server default must be given (a column added later then fails here, by name)."""

from portal.extensions import db


class Writer:
    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.connection = engine.raw_connection()
        self.cursor = self.connection.cursor()
        self.explicit_ids = set()
        if self.dialect == "sqlite":
            # A throwaway build: no journal, no fsync, a large page cache. The app's own settings return on
            # the next connection (WAL is a property of the file and is set again at the end).
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000",
                           "foreign_keys = OFF", "temp_store = MEMORY"):
                self.cursor.execute(f"PRAGMA {pragma}")

    def rows(self, table: str, columns: tuple, rows) -> None:
        if not rows:
            return
        mapped = db.metadata.tables[table]
        missing = [c.name for c in mapped.columns if not c.nullable and c.server_default is None
                   and not c.primary_key and c.name not in columns]
        assert not missing, f"{table}: the builder does not set {missing}"
        if "id" in columns:
            self.explicit_ids.add(table)
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def update_balances(self, pairs: list[tuple[int, int]]) -> None:
        mark = "%s" if self.dialect == "postgresql" else "?"
        self.cursor.executemany(f"UPDATE ledger_accounts SET balance = {mark} WHERE id = {mark}", pairs)

    def finish(self) -> None:
        if self.dialect == "postgresql":
            for table in sorted(self.explicit_ids):  # the next row the app inserts takes the next free id
                self.cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            self.connection.commit()
            # What autovacuum does after a bulk load, a minute later: statistics, and the visibility map that
            # lets reads answer from an index alone. VACUUM runs outside a transaction.
            self.connection.driver_connection.autocommit = True
            self.cursor.execute("VACUUM ANALYZE")
            self.connection.driver_connection.autocommit = False
        else:
            self.connection.commit()
            self.cursor.execute("PRAGMA journal_mode = WAL")
        self.connection.commit()

    def close(self) -> None:
        self.cursor.close()
        self.connection.close()

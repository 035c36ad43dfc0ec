"""A new database created at once from a snapshot of what the migrations make.

Running every migration in turn on a new file costs about 0.13 s of CPU (0.6 s and more of wall
time on a loaded machine: sqlite-utils imported, tables rebuilt by later migrations, the schema
re-read after each change), a large part of a small first crawl; the snapshot takes 0.014 s
(benchmarks/fresh_database.py). ``store/fresh_schema.py`` holds the finished schema as
statements, generated from the migrations themselves (``python -m wistia_sync.store.snapshot``):
a new database runs them in its one creating transaction and records every migration they cover
as applied. Migrations registered after the snapshot was taken (a merge that did not regenerate
it) then run in turn, so a stale snapshot is slower, never different;
``tests/store/test_fresh_snapshot.py`` fails until it is regenerated, and proves both paths give
the same schema, rows and migration record.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wistia_sync.store.lazydb import MIGRATIONS_TABLE
from wistia_sync.store.migrations import MIGRATION_SET, migrations

if TYPE_CHECKING:
    from sqlite_utils import Database

SNAPSHOT_MODULE = Path(__file__).resolve().with_name("fresh_schema.py")
# Tables (0) before their rows (1), rows before the triggers that would otherwise fire on them.
# (A virtual table's shadow tables would need leaving out: the schema has none, and the tests
# of the two paths would fail on one.)
_KIND_ORDER = {"table": 0, "index": 2, "trigger": 3, "view": 4}


def create_schema(db: Database) -> None:
    """Make the schema in a database with no tables, inside the caller's transaction."""
    from wistia_sync.store import fresh_schema

    covered = list(fresh_schema.MIGRATIONS)
    if covered != migrations.names[: len(covered)]:
        migrations.apply(db)  # not a snapshot of these migrations: build it the long way
        return
    for statement in fresh_schema.STATEMENTS:
        db.execute(statement)
    # What sqlite-utils' Migrations records for each migration it applies.
    applied_at = str(datetime.now(UTC))
    db.conn.executemany(
        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [(MIGRATION_SET, name, applied_at) for name in covered],
    )
    if len(covered) < len(migrations.names):
        migrations.apply(db)


def snapshot_statements(conn: sqlite3.Connection) -> list[str]:
    """The statements that remake ``conn``'s schema and rows (migration records aside)."""
    objects = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    tables = [str(name) for kind, name, _, _ in objects if kind == "table"]
    statements = [(0, str(sql)) for kind, _, _, sql in objects if kind == "table"]
    for table in [*tables, "sqlite_sequence"]:
        if table == MIGRATIONS_TABLE or not _exists(conn, table):
            continue
        columns = [str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')]
        quoted = " || ', ' || ".join(f'quote("{column}")' for column in columns)
        order = ", ".join(f'"{column}"' for column in columns)
        for (values,) in conn.execute(f'SELECT {quoted} FROM "{table}" ORDER BY {order}'):
            statements.append((1, f'INSERT INTO "{table}" VALUES ({values})'))
    statements += [
        (_KIND_ORDER[str(kind)], str(sql)) for kind, _, _, sql in objects if kind != "table"
    ]
    return [sql for _, sql in sorted(statements, key=lambda entry: entry[0])]


def _exists(conn: sqlite3.Connection, table: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [table]).fetchone()
    return found is not None


def render_module(names: list[str], statements: list[str]) -> str:
    """The text of ``fresh_schema.py`` for these migrations and statements."""
    lines = [
        '"""The schema a new database gets: what every migration below makes, as statements.',
        "",
        "Generated from the migrations by ``python -m wistia_sync.store.snapshot``; do not edit",
        '(see wistia_sync.store.snapshot)."""',
        "",
        "MIGRATIONS: tuple[str, ...] = (",
        *[f"    {_literal(name)}," for name in names],
        ")",
        "",
        "STATEMENTS: tuple[str, ...] = (",
        *[f"    {_literal(statement)}," for statement in statements],
        ")",
        "",
    ]
    return "\n".join(lines)


def _literal(text: str) -> str:
    """``text`` as a Python literal quoted the way the formatter keeps it: double quotes unless
    single ones need fewer escapes."""
    if not text.isascii():
        return repr(text)
    quote = "'" if text.count('"') > text.count("'") else '"'
    escaped = text.replace("\\", "\\\\").replace(quote, f"\\{quote}")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return quote + escaped + quote if escaped.isprintable() else repr(text)


def migrated_module() -> str:
    """``fresh_schema.py`` as the registered migrations make it, run in turn in memory."""
    from sqlite_utils import Database

    db = Database(sqlite3.connect(":memory:", isolation_level=None))
    try:
        migrations.real.apply(db)
        return render_module(migrations.names, snapshot_statements(db.conn))
    finally:
        db.conn.close()


if __name__ == "__main__":
    SNAPSHOT_MODULE.write_text(migrated_module(), encoding="utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT_MODULE}\n")

"""Rows written in multi-row batches are exactly the rows ``executemany`` writes, in few
statements whatever the batch size or SQLite's parameter limit."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wistia_sync.store.batches import MAX_BATCH_ROWS, execute_in_batches

TABLE = "CREATE TABLE t (k INTEGER PRIMARY KEY, text TEXT, real REAL, number INTEGER)"
INSERT = "INSERT INTO t (k, text, real, number) VALUES {values}"


def rows_after(write: str, rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(TABLE)
    if write == "batches":
        execute_in_batches(conn, INSERT, rows)
    else:
        conn.executemany(INSERT.format(values="(?, ?, ?, ?)"), rows)
    return conn.execute("SELECT k, text, real, number FROM t ORDER BY k").fetchall()


values = st.tuples(
    st.text(),  # any Unicode, NUL and astral characters included
    st.one_of(st.none(), st.floats(allow_nan=False)),
    st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(values, max_size=150))
def test_batches_store_what_executemany_stores(drawn: list[tuple[object, ...]]) -> None:
    rows = [(k, *row) for k, row in enumerate(drawn)]
    assert rows_after("batches", rows) == rows_after("executemany", rows)


@pytest.mark.parametrize(
    ("count", "statements"), [(0, 0), (1, 1), (63, 6), (64, 1), (65, 2), (100, 3), (130, 3)]
)
def test_a_batch_takes_one_statement_per_power_of_two(count: int, statements: int) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(TABLE)
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    execute_in_batches(conn, INSERT, [(k, "x", 1.5, k) for k in range(count)])
    conn.set_trace_callback(None)
    assert len(ran) == statements
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (count,)


def test_batches_shrink_to_the_parameter_limit() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(TABLE)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 4 * 10)  # ten rows of four at most
    rows = [(k, "x", 0.1, k) for k in range(MAX_BATCH_ROWS + 7)]
    execute_in_batches(conn, INSERT, rows)
    assert conn.execute("SELECT k, text, real, number FROM t ORDER BY k").fetchall() == rows

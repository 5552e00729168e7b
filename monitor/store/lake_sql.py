"""Translation of the store's DuckDB SQL for a DuckLake catalog (pure functions, no connection).

What DuckLake (duckdb 1.5.5 + ducklake 1.5.5, PostgreSQL catalog) refuses, checked one by one,
and what this module does about it:

- ``PRIMARY KEY`` / ``UNIQUE`` (column or table constraint): "not supported in DuckLake". Dropped
  from ``CREATE TABLE``; the key columns are remembered (:func:`table_keys`) because the
  ``ON CONFLICT`` rewrite needs them. ``NOT NULL``, ``DEFAULT`` literals and ``JSON`` work.
- ``CREATE INDEX``: "DuckLake does not support indexes". Dropped (files carry min/max statistics).
- ``CREATE SEQUENCE`` / ``nextval``: "DuckLake does not support sequences". Sequences live in the
  PostgreSQL catalog database instead (shared by every office, never rolled back): the statement
  becomes a PostgreSQL ``CREATE SEQUENCE IF NOT EXISTS`` and ``nextval('s')`` a scalar
  ``postgres_query`` subquery; ``SELECT nextval('s') FROM range(?)`` (n ids at once) a
  ``generate_series`` on the PostgreSQL side.
- ``INSERT ... ON CONFLICT``: refused ("no UNIQUE/PRIMARY KEY constraints"). ``DO NOTHING`` becomes
  an insert of the source rows whose key is not stored (``NOT EXISTS``, the source de-duplicated on
  the key); ``DO UPDATE SET ... [WHERE ...]`` becomes ``MERGE INTO`` (supported) with the source
  aliased ``excluded``. This is exact for one writer; concurrent writers of the same keys need a
  lock (the ingest path takes a PostgreSQL advisory lock, see :mod:`monitor.store.lake`).
- ``RETURNING`` (``INSERT``, ``MERGE``, ``DELETE``): "not yet supported for DuckLake". Emulated: the
  rows are computed first (``SELECT``), then written, and the computed rows are the result.
- ``ALTER TABLE ... ADD COLUMN c BOOLEAN DEFAULT false``: "cannot add a column with a non-literal
  default" (a string or number literal works, a boolean keyword does not): the default is written
  as the string ``'false'``/``'true'``. ``ADD COLUMN IF NOT EXISTS`` works.
- Work as on a DuckDB file: ``CREATE TABLE IF NOT EXISTS``, ``ALTER TABLE ADD COLUMN``,
  ``UPDATE``/``DELETE`` (with row counts), ``MERGE INTO`` (without ``RETURNING``), ``JSON`` and
  ``->>``, ``SELECT * EXCLUDE``, macros, views, DDL inside a transaction, Arrow tables registered
  on the connection. Concurrency: two transactions appending to one table both commit (no
  conflict, hence no key check); an ``UPDATE``/``DELETE`` conflicts at commit with any concurrent
  insert into, update of or delete from the same table, and two ``CREATE TABLE`` of one name
  conflict (``TransactionException``: "Transaction conflict - ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LakeSqlError(ValueError):
    """A statement this module cannot translate for DuckLake."""


# -- lexing ------------------------------------------------------------------------------------
def strip_comments(sql: str) -> str:
    """Remove ``--`` comments (not inside a quoted string)."""
    out: list[str] = []
    i, n, quote = 0, len(sql), None
    while i < n:
        c = sql[i]
        if quote:
            out.append(c)
            if c == quote:
                quote = None
        elif c in ("'", '"'):
            quote = c
            out.append(c)
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def split_statements(sql: str) -> list[str]:
    """The statements of a script (comments removed, empty ones dropped)."""
    sql = strip_comments(sql)
    parts, cur, quote = [], [], None
    for c in sql:
        if quote:
            if c == quote:
                quote = None
        elif c in ("'", '"'):
            quote = c
        elif c == ";":
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _split_top(body: str) -> list[str]:
    """Split on commas outside parentheses and quotes."""
    parts, cur, depth, quote = [], [], 0, None
    for c in body:
        if quote:
            if c == quote:
                quote = None
        elif c in ("'", '"'):
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _cols(text: str) -> tuple[str, ...]:
    return tuple(c.strip().strip('"') for c in text.split(",") if c.strip())


# -- DDL ---------------------------------------------------------------------------------------
_CREATE_TABLE = re.compile(r"^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\((.*)\)\s*$", re.I | re.S)
_TABLE_KEY = re.compile(r"^(PRIMARY\s+KEY|UNIQUE)\s*\(([^)]*)\)\s*$", re.I)
_COLUMN_KEY = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b", re.I)
_CREATE_INDEX = re.compile(r"^CREATE\s+(UNIQUE\s+)?INDEX\b", re.I)
_CREATE_SEQ = re.compile(
    r"^CREATE\s+SEQUENCE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)(?:\s+START\s+(?:WITH\s+)?(-?\d+))?\s*$", re.I)
_ADD_BOOL_DEFAULT = re.compile(r"^(ALTER\s+TABLE\s+\w+\s+ADD\s+.*\bDEFAULT\s+)(true|false)\b(.*)$", re.I | re.S)


@dataclass
class Translated:
    """One statement as the lake runs it: ``lake`` SQL for DuckDB, ``pg`` SQL for PostgreSQL."""

    lake: str | None = None
    pg: str | None = None
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)


def translate_create_table(stmt: str) -> tuple[str, str, tuple[str, ...] | None] | None:
    """``(table, statement without key constraints, key columns)``, or None if not a CREATE TABLE."""
    m = _CREATE_TABLE.match(stmt.strip())
    if not m:
        return None
    table, body = m.group(2), m.group(3)
    kept, key = [], None
    for part in _split_top(body):
        tk = _TABLE_KEY.match(part)
        if tk:
            key = key or _cols(tk.group(2))
            continue
        if _COLUMN_KEY.search(part):
            key = key or (part.split()[0].strip('"'),)
            part = _COLUMN_KEY.sub("", part)
        kept.append(part)
    head = "CREATE TABLE " + ("IF NOT EXISTS " if m.group(1) else "") + table
    return table, head + " (\n    " + ",\n    ".join(kept) + "\n)", key


def translate_ddl(stmt: str, *, pg_schema: str) -> Translated:
    """One statement of a migration for the lake (DML passes through unchanged)."""
    s = stmt.strip()
    ct = translate_create_table(s)
    if ct is not None:
        table, sql, key = ct
        return Translated(lake=sql, keys={table: key} if key else {})
    if _CREATE_INDEX.match(s):
        return Translated()
    m = _CREATE_SEQ.match(s)
    if m:
        start = m.group(3) or "1"
        return Translated(pg=f'CREATE SEQUENCE IF NOT EXISTS "{pg_schema}"."{m.group(2)}" START {int(start)}')
    m = _ADD_BOOL_DEFAULT.match(s)
    if m:
        return Translated(lake=f"{m.group(1)}'{m.group(2).lower()}'{m.group(3)}")
    return Translated(lake=s)


def table_keys(scripts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Key columns of every table the scripts create (``PRIMARY KEY`` or first ``UNIQUE``)."""
    keys: dict[str, tuple[str, ...]] = {}
    for script in scripts:
        for stmt in split_statements(script):
            ct = translate_create_table(stmt)
            if ct is not None and ct[2]:
                keys[ct[0]] = ct[2]
    return keys


# -- DML ---------------------------------------------------------------------------------------
_NEXTVAL = re.compile(r"nextval\(\s*'(\w+)'\s*\)", re.I)
_SEQ_RANGE = re.compile(r"^SELECT\s+nextval\(\s*'(\w+)'\s*\)\s+FROM\s+range\(\s*\?\s*\)\s*$", re.I)
_INSERT = re.compile(
    r"^INSERT\s+INTO\s+(\w+)\s*(?:\(([^)]*)\))?\s*(.*?)"
    r"(?:\s+ON\s+CONFLICT\s*(?:\(([^)]*)\))?\s*DO\s+(NOTHING|UPDATE\s+SET\s+(.*?)))?"
    r"(?:\s+RETURNING\s+(.*?))?\s*$",
    re.I | re.S,
)
_WHERE_TAIL = re.compile(r"^(.*?)\s+WHERE\s+(.*)$", re.I | re.S)
_DELETE_RETURNING = re.compile(r"^DELETE\s+FROM\s+(\w+)\s+(?:WHERE\s+(.*?))?\s*RETURNING\s+(.*?)\s*$", re.I | re.S)


@dataclass
class Plan:
    """How the lake connection runs one statement.

    ``kind``: ``sql`` (run ``sql``), ``seq_range`` (``n`` ids of sequence ``seq``: ``sql`` with the
    count inlined), ``returning`` (``select`` computes the rows, ``sql`` writes them from the
    registered ``_lake_rows`` table, ``returning`` picks the result columns), ``delete_returning``
    (``select`` the rows, then ``sql`` deletes them), ``checked`` (a plain insert into a table with a
    key: ``select`` computes the rows, which must not repeat a ``key`` nor hit a stored one, as the
    primary key would refuse them locally; then ``sql`` writes them from ``_lake_rows``)."""

    kind: str
    sql: str
    select: str | None = None
    returning: str | None = None
    ddl: bool = False
    key: tuple[str, ...] = ()
    table: str = ""


_NEXTVAL_SUB = "SELECT nextval(''"


def duplicate_key_sql(table: str, key: Sequence[str]) -> str:
    """The first key of ``_lake_rows`` that is stored in ``table`` already or repeated in the rows."""
    k = ", ".join(key)
    on = " AND ".join(f"_dst.{c} = _r.{c}" for c in key)
    return (f"(SELECT {k} FROM _lake_rows AS _r WHERE EXISTS (SELECT 1 FROM {table} AS _dst WHERE {on}) LIMIT 1) "
            f"UNION ALL (SELECT {k} FROM _lake_rows GROUP BY ALL HAVING count(*) > 1 LIMIT 1) LIMIT 1")


def nextval_sql(seq: str, *, pg_alias: str, pg_schema: str) -> str:
    return f"(SELECT v FROM postgres_query('{pg_alias}', 'SELECT nextval(''\"{pg_schema}\".\"{seq}\"'') AS v'))"


def translate_dml(sql: str, *, keys: dict[str, tuple[str, ...]], columns: Callable[[str], list[str]],
                  pg_alias: str, pg_schema: str) -> Plan:
    """Plan one non-DDL statement (see :class:`Plan`); statements DuckLake runs as they are pass through."""
    s = sql.strip().rstrip(";").strip()
    m = _SEQ_RANGE.match(s)
    if m:
        return Plan("seq_range", f"SELECT v FROM postgres_query('{pg_alias}', 'SELECT nextval(''\"{pg_schema}\"."
                                 f"\"{m.group(1)}\"'') AS v FROM generate_series(1, {{n}})')")
    s = _NEXTVAL.sub(lambda mm: nextval_sql(mm.group(1), pg_alias=pg_alias, pg_schema=pg_schema), s)
    d = _DELETE_RETURNING.match(s)
    if d:
        where = f" WHERE {d.group(2)}" if d.group(2) else ""
        return Plan("delete_returning", f"DELETE FROM {d.group(1)}{where}",
                    select=f"SELECT {d.group(3)} FROM {d.group(1)}{where}")
    m = _INSERT.match(s)
    if not m:
        return Plan("sql", s)
    table, col_text, source, target, action, sets, returning = m.groups()
    by_name = re.match(r"^BY\s+NAME\s+(.*)$", source, re.I | re.S)
    if not action and not returning:
        key = keys.get(table)
        if not key or _NEXTVAL_SUB in s:  # no key, or one a sequence fills: nothing to check
            return Plan("sql", s)
        if by_name:
            return Plan("checked", f"INSERT INTO {table} BY NAME SELECT * FROM _lake_rows", select=by_name.group(1),
                        key=key, table=table)
        cols = list(_cols(col_text)) if col_text else columns(table)
        return Plan("checked", f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM _lake_rows",
                    select=f"SELECT * FROM ({source}) AS _src({', '.join(cols)})", key=key, table=table)
    if by_name:
        raise LakeSqlError(f"INSERT BY NAME with ON CONFLICT/RETURNING is not translated: {s[:80]}")
    cols = list(_cols(col_text)) if col_text else columns(table)
    col_list = ", ".join(cols)
    src = f"SELECT * FROM ({source}) AS _src({col_list})"
    if action:
        key = _cols(target) if target else keys.get(table)
        if not key:
            raise LakeSqlError(f"no key known for table {table}: cannot translate ON CONFLICT")
        on = " AND ".join(f"_dst.{k} = _src.{k}" for k in key)
        dedupe = f" QUALIFY row_number() OVER (PARTITION BY {', '.join('_src.' + k for k in key)}) = 1"
        if action.upper() == "NOTHING":
            src = f"{src} WHERE NOT EXISTS (SELECT 1 FROM {table} AS _dst WHERE {on}){dedupe}"
        else:
            if returning:
                raise LakeSqlError(f"ON CONFLICT DO UPDATE ... RETURNING is not translated: {s[:80]}")
            cond = ""
            w = _WHERE_TAIL.match(sets)
            if w:
                sets, cond = w.group(1), f" AND {w.group(2)}"
            match_on = " AND ".join(f"{table}.{k} = excluded.{k}" for k in key)
            values = ", ".join(f"excluded.{c}" for c in cols)
            return Plan("sql", f"MERGE INTO {table} USING ({src}{dedupe}) AS excluded ON {match_on} "
                               f"WHEN MATCHED{cond} THEN UPDATE SET {sets} "
                               f"WHEN NOT MATCHED THEN INSERT ({col_list}) VALUES ({values})")
    if returning:
        return Plan("returning", f"INSERT INTO {table} ({col_list}) SELECT * FROM _lake_rows",
                    select=src, returning=returning)
    return Plan("sql", f"INSERT INTO {table} ({col_list}) {src}")


def is_ddl(stmt: str) -> bool:
    return bool(re.match(r"^\s*(CREATE|ALTER|DROP)\b", stmt, re.I))


def check_identifier(name: str, what: str) -> str:
    if not _IDENT.match(name):
        raise LakeSqlError(f"{what} must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), got {name!r}")
    return name

"""The DuckLake translation of the store's SQL, checked on the text and, where the meaning matters,
by running the translated statement on a plain DuckDB (no key there either, like the lake)."""

from __future__ import annotations

import duckdb
import pytest

from monitor.store.lake_sql import (
    LakeSqlError, split_statements, table_keys, translate_ddl, translate_dml,
)
from monitor.store.schema import MIGRATIONS


def _dml(sql, keys=None, cols=None):
    return translate_dml(sql, keys=keys or {}, columns=lambda t: (cols or {})[t], pg_alias="pg", pg_schema="lk")


def test_create_table_loses_keys_and_remembers_them():
    t = translate_ddl("""CREATE TABLE posts (
        platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL, parent_author JSON,
        PRIMARY KEY (platform, post_id))""", pg_schema="lk")
    assert "PRIMARY KEY" not in t.lake and "parent_author JSON" in t.lake
    assert t.keys == {"posts": ("platform", "post_id")}
    t = translate_ddl("CREATE TABLE IF NOT EXISTS users (username VARCHAR PRIMARY KEY, lang VARCHAR NOT NULL "
                      "DEFAULT 'id', n DECIMAL(10, 2) UNIQUE)", pg_schema="lk")
    assert t.lake.startswith("CREATE TABLE IF NOT EXISTS users")
    assert "PRIMARY KEY" not in t.lake and "UNIQUE" not in t.lake and "DECIMAL(10, 2)" in t.lake
    assert t.keys == {"users": ("username",)}
    duckdb.connect().execute(t.lake)  # still valid SQL


def test_indexes_dropped_sequences_go_to_postgres_boolean_defaults_quoted():
    assert translate_ddl("CREATE INDEX hits_created_idx ON hits (post_created_at)", pg_schema="lk").lake is None
    t = translate_ddl("CREATE SEQUENCE IF NOT EXISTS audit_seq START 1", pg_schema="lk")
    assert t.lake is None and t.pg == 'CREATE SEQUENCE IF NOT EXISTS "lk"."audit_seq" START 1'
    t = translate_ddl("ALTER TABLE hits ADD COLUMN IF NOT EXISTS legal_hold BOOLEAN DEFAULT false", pg_schema="lk")
    assert t.lake == "ALTER TABLE hits ADD COLUMN IF NOT EXISTS legal_hold BOOLEAN DEFAULT 'false'"


def test_every_migration_translates_and_every_keyed_table_is_known():
    keys = table_keys(sql for _v, _d, sql in MIGRATIONS)
    assert keys["posts"] == ("platform", "post_id")
    assert keys["post_revisions"] == ("platform", "post_id", "raw_sha256")
    assert keys["hits"] == ("hit_id",) and keys["meta"] == ("key",)
    for _v, _d, sql in MIGRATIONS:
        for stmt in split_statements(sql):
            t = translate_ddl(stmt, pg_schema="lk")
            for part in (t.lake or "", t.pg or ""):
                assert "PRIMARY KEY" not in part.upper() and "CREATE INDEX" not in part.upper()


def test_comments_and_quoted_semicolons_survive_splitting():
    assert split_statements("-- a comment; with a semicolon\nSELECT 'a;b'; -- trailing\n SELECT 2;") == [
        "SELECT 'a;b'", "SELECT 2"]


def test_on_conflict_do_nothing_inserts_only_unknown_keys_once():
    con = duckdb.connect()
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('a', 'old')")
    plan = _dml("INSERT INTO meta VALUES (?, ?) ON CONFLICT DO NOTHING", {"meta": ("key",)},
                {"meta": ["key", "value"]})
    assert plan.kind == "sql" and "ON CONFLICT" not in plan.sql
    for k, v in (("a", "new"), ("b", "1"), ("b", "2")):
        con.execute(plan.sql, [k, v])
    assert con.execute("SELECT * FROM meta ORDER BY key").fetchall() == [("a", "old"), ("b", "1")]
    # a multi-row source with a repeated key inserts it once, and the count says so
    plan = _dml("INSERT INTO meta (key, value) SELECT * FROM (VALUES ('c', '1'), ('c', '2'), ('a', 'x')) "
                "ON CONFLICT DO NOTHING", {"meta": ("key",)})
    assert con.execute(plan.sql).fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM meta").fetchone()[0] == 3


def test_on_conflict_do_update_becomes_merge_with_its_condition():
    con = duckdb.connect()
    con.execute("CREATE TABLE media (platform VARCHAR, url VARCHAR, status VARCHAR, attempts INTEGER)")
    con.execute("INSERT INTO media VALUES ('x', 'u1', 'failed', 1), ('x', 'u2', 'captured', 1)")
    plan = _dml("INSERT INTO media VALUES (?, ?, ?, ?) ON CONFLICT (platform, url) DO UPDATE SET "
                "status = excluded.status, attempts = greatest(media.attempts + 1, excluded.attempts) "
                "WHERE media.status <> 'captured'", cols={"media": ["platform", "url", "status", "attempts"]})
    assert plan.sql.startswith("MERGE INTO media")
    for url in ("u1", "u2", "u3"):
        con.execute(plan.sql, ["x", url, "captured", 1])
    assert con.execute("SELECT * FROM media ORDER BY url").fetchall() == [
        ("x", "u1", "captured", 2), ("x", "u2", "captured", 1), ("x", "u3", "captured", 1)]


def test_returning_nextval_and_refusals():
    plan = _dml("INSERT INTO alerts (alert_id, level) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING alert_id",
                {"alerts": ("alert_id",)})
    assert plan.kind == "returning" and plan.returning == "alert_id" and "NOT EXISTS" in plan.select
    plan = _dml("INSERT INTO audit_log VALUES (nextval('audit_seq'), ?)")
    assert plan.kind == "sql" and "nextval(''\"lk\".\"audit_seq\"'')" in plan.sql and "postgres_query('pg'" in plan.sql
    assert _dml("SELECT nextval('quarantine_seq') FROM range(?)").kind == "seq_range"
    plan = _dml("DELETE FROM account_links WHERE platform = ? RETURNING account")
    assert plan.kind == "delete_returning" and plan.select == "SELECT account FROM account_links WHERE platform = ?"
    assert _dml("UPDATE hits SET status = ? WHERE hit_id = ?").sql == "UPDATE hits SET status = ? WHERE hit_id = ?"
    with pytest.raises(LakeSqlError, match="no key known"):
        _dml("INSERT INTO nokey VALUES (?) ON CONFLICT DO NOTHING", cols={"nokey": ["a"]})


def test_plain_inserts_into_keyed_tables_are_checked_unless_a_sequence_fills_the_key():
    plan = _dml("INSERT INTO users (username, role) VALUES (?, ?)", {"users": ("username",)})
    assert plan.kind == "checked" and plan.key == ("username",) and plan.table == "users"
    assert plan.select == "SELECT * FROM (VALUES (?, ?)) AS _src(username, role)"
    plan = _dml("INSERT INTO roster BY NAME SELECT * FROM _roster_in", {"roster": ("nip",)})
    assert plan.kind == "checked" and plan.select == "SELECT * FROM _roster_in" and "BY NAME" in plan.sql
    assert _dml("INSERT INTO audit_log VALUES (nextval('audit_seq'), ?)", {"audit_log": ("id",)}).kind == "sql"
    assert _dml("INSERT INTO retention_removed VALUES (?, ?)").kind == "sql"  # no key

"""Versioned schema migrations. Append new migrations; never edit an applied one."""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
        CREATE TABLE posts (
            platform        VARCHAR NOT NULL,
            post_id         VARCHAR NOT NULL,
            url             VARCHAR,
            created_at      TIMESTAMPTZ NOT NULL,
            collected_at    TIMESTAMPTZ NOT NULL,
            source          VARCHAR NOT NULL,
            kind            VARCHAR NOT NULL,
            author_id       VARCHAR,
            author_handle   VARCHAR,
            author_name     VARCHAR,
            author_bio      VARCHAR,
            author_url      VARCHAR,
            text            VARCHAR NOT NULL,
            parent_post_id  VARCHAR,
            parent_url      VARCHAR,
            parent_text     VARCHAR,
            parent_author   JSON,
            raw             VARCHAR NOT NULL,
            raw_sha256      VARCHAR NOT NULL,
            PRIMARY KEY (platform, post_id)
        );
        -- A post seen again with a different payload (edited upstream): the first capture stays
        -- untouched in posts, every later version is kept here.
        CREATE TABLE post_revisions (
            platform    VARCHAR NOT NULL,
            post_id     VARCHAR NOT NULL,
            seen_at     TIMESTAMPTZ NOT NULL,
            source      VARCHAR NOT NULL,
            raw         VARCHAR NOT NULL,
            raw_sha256  VARCHAR NOT NULL,
            PRIMARY KEY (platform, post_id, raw_sha256)
        );
        CREATE TABLE roster (
            nip         VARCHAR PRIMARY KEY,
            nama        VARCHAR NOT NULL,
            jabatan     VARCHAR,
            unit_kerja  VARCHAR,
            instansi    VARCHAR,
            atasan_nip  VARCHAR,
            email       VARCHAR,
            telegram    VARCHAR,
            import_id   INTEGER NOT NULL
        );
        CREATE TABLE accounts (
            platform    VARCHAR NOT NULL,
            value       VARCHAR NOT NULL,
            nip         VARCHAR NOT NULL,
            PRIMARY KEY (platform, value)
        );
        CREATE SEQUENCE roster_import_seq START 1;
        CREATE TABLE roster_imports (
            import_id   INTEGER PRIMARY KEY,
            imported_at TIMESTAMPTZ NOT NULL,
            file        VARCHAR NOT NULL,
            file_sha256 VARCHAR NOT NULL,
            rows        INTEGER NOT NULL,
            skipped     INTEGER NOT NULL,
            actor       VARCHAR NOT NULL
        );
        CREATE TABLE hits (
            hit_id          VARCHAR PRIMARY KEY,
            platform        VARCHAR NOT NULL,
            post_id         VARCHAR NOT NULL,
            post_created_at TIMESTAMPTZ NOT NULL,
            detected_at     TIMESTAMPTZ NOT NULL,
            nip             VARCHAR,
            candidates      JSON NOT NULL,
            identity_method VARCHAR NOT NULL,
            ambiguous       BOOLEAN NOT NULL,
            behaviour       VARCHAR NOT NULL,
            score           DOUBLE NOT NULL,
            identity_score  DOUBLE NOT NULL,
            content_score   DOUBLE NOT NULL,
            rules           JSON NOT NULL,
            terms           JSON NOT NULL,
            targets         JSON NOT NULL,
            steps           JSON NOT NULL,
            explanation     VARCHAR NOT NULL,
            ruleset_version VARCHAR NOT NULL,
            status          VARCHAR NOT NULL DEFAULT 'baru',
            reviewer        VARCHAR,
            review_reason   VARCHAR,
            reviewed_at     TIMESTAMPTZ,
            confirmed_nip   VARCHAR
        );
        CREATE TABLE cursors (
            source      VARCHAR PRIMARY KEY,
            cursor      JSON NOT NULL,
            updated_at  TIMESTAMPTZ NOT NULL
        );
        CREATE SEQUENCE quarantine_seq START 1;
        CREATE TABLE quarantine (
            id              BIGINT PRIMARY KEY,
            received_at     TIMESTAMPTZ NOT NULL,
            source          VARCHAR NOT NULL,
            reason          VARCHAR NOT NULL,
            payload         VARCHAR NOT NULL,
            payload_sha256  VARCHAR NOT NULL
        );
        CREATE SEQUENCE audit_seq START 1;
        CREATE TABLE audit_log (
            id      BIGINT PRIMARY KEY,
            at_utc  TIMESTAMPTZ NOT NULL,
            actor   VARCHAR NOT NULL,
            action  VARCHAR NOT NULL,
            object  VARCHAR,
            detail  JSON
        );
        CREATE TABLE rulesets (
            version     VARCHAR PRIMARY KEY,
            first_used  TIMESTAMPTZ NOT NULL,
            files       JSON NOT NULL,
            rules       JSON NOT NULL
        );
        CREATE TABLE meta (
            key     VARCHAR PRIMARY KEY,
            value   VARCHAR NOT NULL
        );
        CREATE INDEX hits_created_idx ON hits (post_created_at);
        """,
    ),
]

MIGRATIONS.append(
    (
        2,
        "hits record which payload version they scored (a revision can be the partisan one)",
        "ALTER TABLE hits ADD COLUMN payload_sha256 VARCHAR;",
    )
)

MIGRATIONS.append(
    (
        3,
        "web application: users, sessions, rule file history",
        """
        CREATE TABLE users (
            username      VARCHAR PRIMARY KEY,
            role          VARCHAR NOT NULL,          -- admin | pengawas | atasan
            nip           VARCHAR,                   -- ties an atasan account to the roster
            password_hash VARCHAR NOT NULL,          -- scrypt$n$r$p$salt$hash
            lang          VARCHAR NOT NULL DEFAULT 'id',
            disabled      BOOLEAN NOT NULL DEFAULT false,
            created_at    TIMESTAMPTZ NOT NULL,
            last_visit_at TIMESTAMPTZ,               -- for "new since my last visit"
            prev_visit_at TIMESTAMPTZ
        );
        CREATE TABLE sessions (
            sid_hash    VARCHAR PRIMARY KEY,         -- SHA-256 of the cookie value
            username    VARCHAR NOT NULL,
            csrf        VARCHAR NOT NULL,
            created_at  TIMESTAMPTZ NOT NULL,
            expires_at  TIMESTAMPTZ NOT NULL
        );
        CREATE SEQUENCE rule_version_seq START 1;
        CREATE TABLE rule_file_versions (
            id          BIGINT PRIMARY KEY,
            file        VARCHAR NOT NULL,            -- path relative to the rules folder
            content     VARCHAR NOT NULL,
            sha256      VARCHAR NOT NULL,
            author      VARCHAR NOT NULL,
            saved_at    TIMESTAMPTZ NOT NULL,
            message     VARCHAR
        );
        """,
    )
)

MIGRATIONS.append(
    (
        4,
        "alert queue: alerts per hit, recipient and level; deliveries per channel; digests",
        """
        CREATE TABLE alerts (
            alert_id      VARCHAR PRIMARY KEY,       -- stable: one per (hit, recipient, level)
            hit_id        VARCHAR NOT NULL,
            recipient_nip VARCHAR NOT NULL,
            level         INTEGER NOT NULL,          -- 1 = direct supervisor, 2+ = escalation
            kind          VARCHAR NOT NULL,          -- urgent | digest
            created_at    TIMESTAMPTZ NOT NULL,
            due_at        TIMESTAMPTZ NOT NULL,      -- after quiet hours
            digest_id     VARCHAR,
            acked_at      TIMESTAMPTZ,
            acked_by      VARCHAR,
            follow_up     VARCHAR,
            ack_note      VARCHAR
        );
        CREATE TABLE alert_digests (
            digest_id     VARCHAR PRIMARY KEY,       -- stable: one per (recipient, local day)
            recipient_nip VARCHAR NOT NULL,
            local_date    DATE NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE alert_deliveries (
            delivery_id     VARCHAR PRIMARY KEY,     -- message id + ':' + channel name
            message_id      VARCHAR NOT NULL,        -- an alert_id or a digest_id
            message_kind    VARCHAR NOT NULL,        -- alert | digest | test
            channel         VARCHAR NOT NULL,
            recipient_nip   VARCHAR NOT NULL,
            status          VARCHAR NOT NULL,        -- pending | sent | failed
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TIMESTAMPTZ NOT NULL,
            last_error      VARCHAR,
            sent_at         TIMESTAMPTZ,
            created_at      TIMESTAMPTZ NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        5,
        "identity memory: account links confirmed and (account, NIP) pairs rejected by reviewers",
        """
        -- account = normalised author key as the identity index uses it (author_account_keys):
        -- one row per key of the author (id and/or handle form). Kept across roster imports.
        CREATE TABLE account_links (
            platform      VARCHAR NOT NULL,
            account       VARCHAR NOT NULL,
            nip           VARCHAR NOT NULL,
            confirmed_by  VARCHAR NOT NULL,
            confirmed_at  TIMESTAMPTZ NOT NULL,
            hit_id        VARCHAR,
            PRIMARY KEY (platform, account)
        );
        CREATE TABLE rejected_pairs (
            platform      VARCHAR NOT NULL,
            account       VARCHAR NOT NULL,
            nip           VARCHAR NOT NULL,
            rejected_by   VARCHAR NOT NULL,
            rejected_at   TIMESTAMPTZ NOT NULL,
            hit_id        VARCHAR,
            reason        VARCHAR,
            PRIMARY KEY (platform, account, nip)
        );
        -- the author's account keys as the identity index saw them when the hit was made
        ALTER TABLE hits ADD COLUMN author_keys JSON;
        """,
    )
)

MIGRATIONS.append(
    (
        6,
        "learned ranker: trained models (weights + held-out metrics) and a rank score per hit",
        """
        CREATE TABLE ranker_models (
            version     INTEGER PRIMARY KEY,
            trained_at  TIMESTAMPTZ NOT NULL,
            n_train     INTEGER NOT NULL,
            weights     JSON NOT NULL,     -- features, standardisation, coefficients, intercept
            metrics     JSON NOT NULL      -- held-out precision@k / lift vs score order, AUC
        );
        -- probability of confirmation from the latest model (NULL: not ranked; the list then uses score)
        ALTER TABLE hits ADD COLUMN rank_score DOUBLE;
        """,
    )
)

LATEST = MIGRATIONS[-1][0]

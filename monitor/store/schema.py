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

MIGRATIONS.append(
    (
        7,
        "elections: the election and stage each hit probably concerns, and the reviewer's classification",
        """
        -- written once when the hit is made (never rewritten, like the hit); the reviewer's
        -- confirmed or corrected classification goes in the confirmed_* columns
        CREATE TABLE IF NOT EXISTS hit_elections (
            hit_id                VARCHAR PRIMARY KEY,
            election_id           VARCHAR,              -- NULL: tidak dapat ditentukan
            stage                 VARCHAR,              -- bakal_calon | calon | NULL
            reason                VARCHAR NOT NULL,     -- fits | several | no_fit | no_elections
            fitting               JSON NOT NULL,        -- ids of every election that fitted
            local_date            DATE,                 -- the post's date in the office's zone
            penetapan             DATE,                 -- the election's determination date then
            classified_at         TIMESTAMPTZ NOT NULL,
            confirmed_election_id VARCHAR,              -- '' = confirmed as not determinable
            confirmed_stage       VARCHAR,              -- bakal_calon | calon | '' (not determinable)
            confirmed_by          VARCHAR,
            confirmed_at          TIMESTAMPTZ
        );
        """,
    )
)

MIGRATIONS.append(
    (
        8,
        "evidence: captured media files of posts behind hits, and deletion/edit checks of those posts",
        """
        -- one row per media link of a post; a captured file is never overwritten or re-downloaded
        CREATE TABLE media (
            platform      VARCHAR NOT NULL,
            post_id       VARCHAR NOT NULL,
            url           VARCHAR NOT NULL,        -- where the file was downloaded from
            kind          VARCHAR NOT NULL,        -- image | video_preview | thumbnail
            status        VARCHAR NOT NULL,        -- captured | failed
            attempts      INTEGER NOT NULL,
            sha256        VARCHAR,
            size          BIGINT,
            content_type  VARCHAR,
            file          VARCHAR,                 -- path relative to the media folder
            captured_at   TIMESTAMPTZ NOT NULL,    -- capture time (UTC), or the last failed attempt
            error         VARCHAR,
            PRIMARY KEY (platform, post_id, url)
        );
        -- posts whose media are settled (none linked, or every link captured or given up)
        CREATE TABLE media_scans (
            platform    VARCHAR NOT NULL,
            post_id     VARCHAR NOT NULL,
            scanned_at  TIMESTAMPTZ NOT NULL,
            links       INTEGER NOT NULL,
            PRIMARY KEY (platform, post_id)
        );
        -- deletion watch: the latest re-check of a post behind an open or confirmed hit
        CREATE TABLE post_checks (
            platform    VARCHAR NOT NULL,
            post_id     VARCHAR NOT NULL,
            state       VARCHAR NOT NULL,          -- present | deleted | edited
            checked_at  TIMESTAMPTZ NOT NULL,      -- last re-check
            noticed_at  TIMESTAMPTZ,               -- when the deletion / edit was first noticed
            checks      INTEGER NOT NULL,
            detail      VARCHAR,
            PRIMARY KEY (platform, post_id)
        );
        """,
    )
)

MIGRATIONS.append(
    (
        9,
        "data protection: legal hold on hits; retention runs and what each removed (hashes, not content)",
        """
        -- a hit on legal hold keeps its post, revisions and evidence whatever the retention settings
        ALTER TABLE hits ADD COLUMN IF NOT EXISTS legal_hold BOOLEAN DEFAULT false;
        ALTER TABLE hits ADD COLUMN IF NOT EXISTS legal_hold_by VARCHAR;
        ALTER TABLE hits ADD COLUMN IF NOT EXISTS legal_hold_at TIMESTAMPTZ;
        ALTER TABLE hits ADD COLUMN IF NOT EXISTS legal_hold_reason VARCHAR;
        CREATE SEQUENCE IF NOT EXISTS retention_run_seq START 1;
        CREATE TABLE IF NOT EXISTS retention_runs (
            run_id      BIGINT PRIMARY KEY,
            ran_at      TIMESTAMPTZ NOT NULL,
            actor       VARCHAR NOT NULL,
            cutoffs     JSON NOT NULL,            -- the cut-off time of each rule applied
            counts      JSON NOT NULL             -- {"posts": n, "revisions": n, "quarantine": n, "hits": n}
        );
        -- one row per removed item: ids are kept only as SHA-256 (proof of what went, not the data)
        CREATE TABLE IF NOT EXISTS retention_removed (
            run_id      BIGINT NOT NULL,
            kind        VARCHAR NOT NULL,         -- post | revision | quarantine | hit
            platform    VARCHAR,
            id_sha256   VARCHAR NOT NULL,         -- SHA-256 of "platform:post_id" / quarantine id / hit id
            content_sha256 VARCHAR                -- the payload's SHA-256 as stored (raw_sha256 / payload_sha256)
        );
        """,
    )
)

MIGRATIONS.append(
    (
        10,
        "offices: the office (region code) of each user, roster entry and hit",
        """
        -- office codes: 'ID' (Bawaslu RI), '61' (province), '61.71' (city/regency); see
        -- monitor/models/office.py. NULL = not assigned: rows written before offices existed
        -- belong to the instance's office ([office] code), which Store.adopt_office fills in.
        ALTER TABLE users ADD COLUMN IF NOT EXISTS office_code VARCHAR;
        -- the ASN's office as the roster says (column kode_wilayah); NULL: the roster does not say
        ALTER TABLE roster ADD COLUMN IF NOT EXISTS office_code VARCHAR;
        -- the responsible office (the ASN's roster office, else the collecting office) and the
        -- office whose collector found the post
        ALTER TABLE hits ADD COLUMN IF NOT EXISTS office_code VARCHAR;
        ALTER TABLE hits ADD COLUMN IF NOT EXISTS collector_office VARCHAR;
        """,
    )
)

# Helpers of one session take migration numbers in advance: keep the list in version order.
MIGRATIONS.sort(key=lambda m: m[0])
LATEST = max(m[0] for m in MIGRATIONS)

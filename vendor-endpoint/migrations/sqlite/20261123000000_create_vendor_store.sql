-- The vendor's store (SQLite). Keep in step with ../postgres: same tables, columns and
-- meaning; only types and key generation differ.

-- Every person→vendor message accepted, as signed, with the answer it got.
CREATE TABLE messages (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    consent_id  TEXT,
    thread_id   TEXT,
    in_reply_to TEXT,
    score       INTEGER,
    digest      TEXT NOT NULL,
    document    TEXT NOT NULL,
    response    TEXT NOT NULL,
    received    TEXT NOT NULL
);
CREATE INDEX messages_by_consent ON messages (consent_id);
CREATE INDEX messages_by_kind ON messages (kind, seq);

-- Consents as agreed, refused or revoked. Kept after revocation (terms only, no
-- personal content) so later messages under it are refused.
CREATE TABLE consents (
    id             TEXT PRIMARY KEY NOT NULL,
    person         TEXT NOT NULL,
    agreement      TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    categories     TEXT NOT NULL,
    retention_days INTEGER NOT NULL,
    state          TEXT NOT NULL,
    created        TEXT NOT NULL,
    revoked        TEXT
);

-- Vendor→person messages (offers, replies) waiting for the person's inbox query.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    consent_id  TEXT,
    in_reply_to TEXT,
    document    TEXT NOT NULL,
    created     TEXT NOT NULL
);
CREATE INDEX outbox_by_recipient ON outbox (recipient, seq);
CREATE INDEX outbox_by_consent ON outbox (consent_id);

-- The vendor's store (PostgreSQL). Keep in step with ../sqlite: same tables, columns and
-- meaning; only types and key generation differ.

CREATE TABLE messages (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    consent_id  TEXT,
    thread_id   TEXT,
    in_reply_to TEXT,
    score       BIGINT,
    digest      TEXT NOT NULL,
    document    TEXT NOT NULL,
    response    TEXT NOT NULL,
    received    TEXT NOT NULL
);
CREATE INDEX messages_by_consent ON messages (consent_id);
CREATE INDEX messages_by_kind ON messages (kind, seq);

CREATE TABLE consents (
    id             TEXT PRIMARY KEY,
    person         TEXT NOT NULL,
    agreement      TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    categories     TEXT NOT NULL,
    retention_days BIGINT NOT NULL,
    state          TEXT NOT NULL,
    created        TEXT NOT NULL,
    revoked        TEXT
);

CREATE TABLE outbox (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

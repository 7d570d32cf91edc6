-- Integrations: API tokens for machines, webhook endpoints and their durable delivery
-- queue, and the staff-access log people can read. Keep in step with ../sqlite.

-- Tokens by the SHA-256 of their secret (the token itself is shown once, at creation).
CREATE TABLE api_tokens (
    id        TEXT PRIMARY KEY,
    number    BIGINT NOT NULL UNIQUE,         -- "token 2" to the people whose messages it reads
    name      TEXT NOT NULL UNIQUE,
    role      TEXT NOT NULL,                   -- agent, viewer
    hash      TEXT NOT NULL UNIQUE,
    created   TEXT NOT NULL,
    last_used TEXT,
    revoked   TEXT
);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    number          BIGINT NOT NULL UNIQUE,   -- "webhook 1" to the people whose messages it carries
    name            TEXT NOT NULL,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,             -- comma-separated event types
    secret          TEXT NOT NULL,             -- whsec_…: deliveries are signed with it
    created         TEXT NOT NULL,
    disabled        TEXT,                      -- when it was disabled, and why
    disabled_reason TEXT,
    failing_since   TEXT,                      -- the first failure since the last success
    last_error      TEXT,
    last_success    TEXT
);

-- One row per event and endpoint: its id is the webhook-id every attempt carries.
CREATE TABLE webhook_deliveries (
    id           TEXT PRIMARY KEY,
    webhook_id   TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event        TEXT NOT NULL,
    payload      TEXT,                         -- NULL once the person's data in it was deleted
    consent_id   TEXT,                         -- whose data it carries, so revocation finds it
    person       TEXT,                         -- the pairwise DID whose message it carries …
    message_id   TEXT,                         -- … and which, for the access log
    created      TEXT NOT NULL,
    state        TEXT NOT NULL,                -- pending, delivered, failed, purged
    attempts     BIGINT NOT NULL,
    next_attempt TEXT,
    lease        TEXT,                         -- the sender holding it, until lease_until
    lease_until  TEXT,
    last_status  BIGINT,
    last_error   TEXT,
    delivered    TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created);
CREATE INDEX webhook_deliveries_by_consent ON webhook_deliveries (consent_id);

-- Reads of people's messages, one hash chain per person (pairwise DID). Entries stay
-- when the messages go: they hold who, how, when and which id, never content.
CREATE TABLE access_log (
    person     TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    at         TEXT NOT NULL,
    message_id TEXT NOT NULL,
    reader     TEXT NOT NULL,
    role       TEXT NOT NULL,
    via        TEXT NOT NULL,
    channel    TEXT,
    prev       TEXT,
    hash       TEXT NOT NULL,
    PRIMARY KEY (person, seq)
);

-- Delivery: how each vendor is reached, what waits to leave, what came back.

-- From the vendor's signed descriptor, refreshed at each exchange.
ALTER TABLE vendors ADD COLUMN messages_url TEXT;
ALTER TABLE vendors ADD COLUMN inbox_url TEXT;
ALTER TABLE vendors ADD COLUMN agreements TEXT;
ALTER TABLE vendors ADD COLUMN descriptor TEXT;
-- The DID first pinned: it salts the person's pairwise key, so accepting a vendor's
-- new key keeps the person's identity with that vendor (and its consents) unchanged.
ALTER TABLE vendors ADD COLUMN pairwise_salt TEXT;
-- A key the vendor presented that differs from the pinned one, until the person decides.
ALTER TABLE vendors ADD COLUMN presented_did TEXT;
-- The newest `created` among messages pulled from the vendor's inbox.
ALTER TABLE vendors ADD COLUMN inbox_since TEXT;

-- The vendor's signed answers about a consent.
ALTER TABLE consents ADD COLUMN answer TEXT;
ALTER TABLE consents ADD COLUMN alternative TEXT;
ALTER TABLE consents ADD COLUMN reason TEXT;
ALTER TABLE consents ADD COLUMN deletion_receipt TEXT;

-- Signed messages waiting to leave, and those that left with the vendor's receipt.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY NOT NULL,   -- the message's UUID
    vendor_id    TEXT NOT NULL REFERENCES vendors (id),
    consent_id   TEXT,
    type         TEXT NOT NULL,
    record_kind  TEXT,                        -- feedback, support, intent, consent, offer
    record_id    TEXT,
    message      TEXT NOT NULL,               -- the exact signed bytes (RFC 8785)
    digest       TEXT NOT NULL,
    state        TEXT NOT NULL,               -- queued, delivered, rejected, cancelled
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error   TEXT,
    receipt      TEXT,                        -- the vendor's signed Receipt
    created      TEXT NOT NULL,
    delivered    TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_by_record ON outbox (record_kind, record_id);

-- Verified vendor→person messages: offers and replies pulled from inboxes.
CREATE TABLE inbox (
    id          TEXT PRIMARY KEY NOT NULL,    -- the message's UUID
    vendor_id   TEXT NOT NULL REFERENCES vendors (id),
    type        TEXT NOT NULL,
    thread      TEXT,
    in_reply_to TEXT,
    intent      TEXT,                         -- for offers: the intent message answered
    message     TEXT NOT NULL,                -- the exact signed JSON
    created     TEXT NOT NULL,
    received    TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'new'   -- new, accepted
);
CREATE INDEX inbox_by_thread ON inbox (thread, created);

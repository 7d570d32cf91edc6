-- The person's vault. Times are RFC 3339 UTC text; ids are UUID text; lists are JSON
-- arrays in text columns. The whole file is encrypted by SQLCipher.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE identity (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    master_secret BLOB NOT NULL CHECK (length(master_secret) = 32),
    created       TEXT NOT NULL
);

CREATE TABLE vendors (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    url     TEXT,
    did     TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE UNIQUE INDEX vendors_name ON vendors (name COLLATE NOCASE);

CREATE TABLE products (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    vendor         TEXT,
    model          TEXT,
    serial         TEXT,
    purchased      TEXT,
    price_amount   TEXT,
    price_currency TEXT,
    warranty_until TEXT,
    notes          TEXT,
    created        TEXT NOT NULL,
    updated        TEXT NOT NULL
);
CREATE INDEX products_by_created ON products (created DESC, id DESC);

CREATE TABLE attachments (
    id         TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    content    BLOB NOT NULL,
    created    TEXT NOT NULL
);
CREATE INDEX attachments_by_product ON attachments (product_id);

CREATE TABLE intents (
    id              TEXT PRIMARY KEY NOT NULL,
    what            TEXT NOT NULL,
    budget_amount   TEXT,
    budget_currency TEXT,
    deadline        TEXT,
    constraints     TEXT NOT NULL DEFAULT '[]',
    state           TEXT NOT NULL,
    created         TEXT NOT NULL,
    updated         TEXT NOT NULL
);

CREATE TABLE feedback (
    id          TEXT PRIMARY KEY NOT NULL,
    product_id  TEXT REFERENCES products (id),
    vendor_id   TEXT REFERENCES vendors (id),
    score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    text        TEXT,
    suggestions TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    CHECK (product_id IS NOT NULL OR vendor_id IS NOT NULL)
);

CREATE TABLE support_requests (
    id         TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    subject    TEXT NOT NULL,
    text       TEXT NOT NULL,
    state      TEXT NOT NULL,
    created    TEXT NOT NULL,
    updated    TEXT NOT NULL
);

CREATE TABLE consents (
    id             TEXT PRIMARY KEY NOT NULL,
    vendor_id      TEXT NOT NULL REFERENCES vendors (id),
    agreement      TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    categories     TEXT NOT NULL,
    retention_days INTEGER NOT NULL,
    terms          TEXT,
    state          TEXT NOT NULL,
    created        TEXT NOT NULL,
    updated        TEXT NOT NULL
);

-- Append-only, hash-chained: hash = SHA-256(prev_hash || canonical JSON of the entry).
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY NOT NULL,
    at        TEXT NOT NULL,
    action    TEXT NOT NULL,
    vendor_id TEXT,
    consent_id TEXT,
    summary   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Full-text search over what the person wrote, kept in step by triggers.
CREATE VIRTUAL TABLE search_index USING fts5 (
    kind UNINDEXED,
    record_id UNINDEXED,
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER products_ai AFTER INSERT ON products BEGIN
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('product', new.id, new.name,
        concat_ws(' ', new.vendor, new.model, new.serial, new.notes));
END;
CREATE TRIGGER products_au AFTER UPDATE ON products BEGIN
    DELETE FROM search_index WHERE kind = 'product' AND record_id = old.id;
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('product', new.id, new.name,
        concat_ws(' ', new.vendor, new.model, new.serial, new.notes));
END;
CREATE TRIGGER products_ad AFTER DELETE ON products BEGIN
    DELETE FROM search_index WHERE kind = 'product' AND record_id = old.id;
END;

CREATE TRIGGER intents_ai AFTER INSERT ON intents BEGIN
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('intent', new.id, new.what,
        (SELECT group_concat(value, ' ') FROM json_each(new.constraints)));
END;
CREATE TRIGGER intents_au AFTER UPDATE ON intents BEGIN
    DELETE FROM search_index WHERE kind = 'intent' AND record_id = old.id;
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('intent', new.id, new.what,
        (SELECT group_concat(value, ' ') FROM json_each(new.constraints)));
END;
CREATE TRIGGER intents_ad AFTER DELETE ON intents BEGIN
    DELETE FROM search_index WHERE kind = 'intent' AND record_id = old.id;
END;

CREATE TRIGGER feedback_ai AFTER INSERT ON feedback BEGIN
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('feedback', new.id, new.text,
        (SELECT group_concat(value, ' ') FROM json_each(new.suggestions)));
END;
CREATE TRIGGER feedback_au AFTER UPDATE ON feedback BEGIN
    DELETE FROM search_index WHERE kind = 'feedback' AND record_id = old.id;
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('feedback', new.id, new.text,
        (SELECT group_concat(value, ' ') FROM json_each(new.suggestions)));
END;
CREATE TRIGGER feedback_ad AFTER DELETE ON feedback BEGIN
    DELETE FROM search_index WHERE kind = 'feedback' AND record_id = old.id;
END;

CREATE TRIGGER support_ai AFTER INSERT ON support_requests BEGIN
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('support', new.id, new.subject, new.text);
END;
CREATE TRIGGER support_au AFTER UPDATE ON support_requests BEGIN
    DELETE FROM search_index WHERE kind = 'support' AND record_id = old.id;
    INSERT INTO search_index (kind, record_id, title, body) VALUES ('support', new.id, new.subject, new.text);
END;
CREATE TRIGGER support_ad AFTER DELETE ON support_requests BEGIN
    DELETE FROM search_index WHERE kind = 'support' AND record_id = old.id;
END;

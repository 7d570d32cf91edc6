-- The console: staff, their sessions, cases with their notes and alerts, alert rules,
-- settings shared by every instance. Keep in step with ../sqlite.

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    number        BIGINT NOT NULL UNIQUE,      -- "staff 3" to the people whose messages they read
    role          TEXT NOT NULL,               -- viewer, agent, admin
    password_hash TEXT NOT NULL,               -- Argon2id, PHC string
    disabled      TEXT,                        -- when it was disabled
    created       TEXT NOT NULL
);

-- Sessions by the SHA-256 of their token (the token itself is only in the cookie).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created    TEXT NOT NULL,
    seen       TEXT NOT NULL
);
CREATE INDEX sessions_by_staff ON sessions (staff_id);

-- Failed sign-ins, by account and by address, for throttling.
CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key, at);

-- Every received support request, feedback and intent is a case.
CREATE TABLE cases (
    id             TEXT PRIMARY KEY,  -- the message that opened it
    kind           TEXT NOT NULL,              -- SupportRequest, Feedback, Intent
    sender         TEXT NOT NULL,
    consent_id     TEXT,
    state          TEXT NOT NULL,              -- new, open, waiting, resolved, deleted
    priority       TEXT NOT NULL,              -- low, normal, high, urgent
    assignee       TEXT REFERENCES staff (id) ON DELETE SET NULL,
    score          BIGINT,
    product_model  TEXT,
    title          TEXT,                       -- one line: subject, what is wanted, or the text
    search_text    TEXT,                       -- lower-case text for search
    received       TEXT NOT NULL,
    updated        TEXT NOT NULL,
    first_response TEXT,
    due            TEXT,                       -- first-response deadline while unanswered
    deleted        TEXT,                       -- when its content went (revocation, retention)
    deleted_by     TEXT                        -- the revocation message's id, or 'retention'
);
-- Newest first; also answers the median time to first response without the table.
CREATE INDEX cases_by_received ON cases (received, id, first_response);
CREATE INDEX cases_by_state ON cases (state, received, id);
-- Newest first by type; a score band is checked in the index as it is walked.
CREATE INDEX cases_by_kind ON cases (kind, received, id, score);
CREATE INDEX cases_by_assignee ON cases (assignee, received, id);
CREATE INDEX cases_by_consent ON cases (consent_id);
-- The few cases still waiting for a first answer: the dashboard's alerts and overdue
-- count read this small index instead of a year of answered cases.
CREATE INDEX cases_awaiting_answer ON cases (due, state) WHERE first_response IS NULL AND deleted IS NULL;

-- Feedback scores counted per day and product model ('' for none), kept in step with
-- cases by the writer and by deletion, so NPS over a year reads a few thousand rows
-- rather than every feedback case. A revoked or expired score is subtracted in the
-- transaction that deletes it; a row whose counts reach zero goes.
CREATE TABLE nps_days (
    day           TEXT NOT NULL,
    product_model TEXT NOT NULL,
    promoters     BIGINT NOT NULL,
    passives      BIGINT NOT NULL,
    detractors    BIGINT NOT NULL,
    PRIMARY KEY (day, product_model)
);
CREATE INDEX nps_days_by_model ON nps_days (product_model, day);

-- Internal notes: never sent to the person.
CREATE TABLE case_notes (
    id      TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    author  TEXT,                              -- the staff member's or API token's id
    text    TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, created);

-- What raises an alert, and how soon it must be answered.
CREATE TABLE alert_rules (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    kind                 TEXT,                 -- a message type, or any
    score_min            BIGINT,
    score_max            BIGINT,
    keyword              TEXT,
    first_response_hours BIGINT NOT NULL,
    enabled              BIGINT NOT NULL,
    created              TEXT NOT NULL
);

-- Alerts raised on cases; open until the case is first answered.
CREATE TABLE alerts (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    rule_id TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    raised  TEXT NOT NULL,
    PRIMARY KEY (case_id, rule_id)
);

-- Settings every instance reads from the store (the agreements accepted, …).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Who sent a reply or offer, and when the person pulled it.
ALTER TABLE outbox ADD COLUMN author TEXT;
ALTER TABLE outbox ADD COLUMN pulled TEXT;
CREATE INDEX outbox_by_reply ON outbox (in_reply_to);

-- The defaults a new vendor starts with: detractors and support requests alert, with a
-- first-response target of 24 hours.
INSERT INTO alert_rules (id, name, kind, score_min, score_max, keyword, first_response_hours, enabled, created)
VALUES ('detractor', 'Detractor (feedback 0–6)', 'Feedback', 0, 6, NULL, 24, 1, '2026-12-03T00:00:00Z'),
       ('support', 'Support request', 'SupportRequest', NULL, NULL, NULL, 24, 1, '2026-12-03T00:00:00Z');

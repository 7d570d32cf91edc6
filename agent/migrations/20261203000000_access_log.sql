-- The vendors' staff-access logs: who at each vendor read which of the person's messages.

-- From the vendor's signed descriptor; absent when the vendor keeps no access log.
ALTER TABLE vendors ADD COLUMN access_log_url TEXT;
-- When the vendor's chain was last fetched whole and checked, and what was wrong with
-- it then (NULL when it held): a problem stays until a later check finds it whole again.
ALTER TABLE vendors ADD COLUMN access_checked TEXT;
ALTER TABLE vendors ADD COLUMN access_problem TEXT;

-- Entries of the person's chain at each vendor, as first received and verified. They
-- are never changed: a vendor that later serves an entry differently is reported, and
-- the copy here is the evidence.
CREATE TABLE access_entries (
    vendor_id TEXT NOT NULL REFERENCES vendors (id),
    seq       INTEGER NOT NULL,
    message   TEXT NOT NULL,     -- the UUID of the person's message read
    at        TEXT NOT NULL,
    entry     TEXT NOT NULL,     -- the entry's JSON, as signed by the vendor
    hash      TEXT NOT NULL,
    answer    TEXT NOT NULL,     -- the id of the signed AccessLog it came in (kept in the audit log)
    received  TEXT NOT NULL,
    PRIMARY KEY (vendor_id, seq)
);
CREATE INDEX access_entries_by_message ON access_entries (message);

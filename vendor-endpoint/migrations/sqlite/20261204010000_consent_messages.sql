-- SQLite only (see src/store/by_consent.rs): a consent's messages are listed here in bulk,
-- sorted by consent, instead of through an index on messages (consent_id) that rewrote a
-- page for every message received. Entries above `upto` are not listed yet; whoever looks
-- messages up by consent lists them first, in the same transaction. PostgreSQL keeps its
-- index: several instances commit sequence numbers out of order.
CREATE TABLE consent_messages (
    consent_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (consent_id, seq)
) WITHOUT ROWID;
CREATE TABLE consent_messages_indexed (upto INTEGER NOT NULL);
INSERT INTO consent_messages (consent_id, seq)
SELECT consent_id, seq FROM messages WHERE consent_id IS NOT NULL ORDER BY consent_id, seq;
INSERT INTO consent_messages_indexed (upto) SELECT COALESCE(max(seq), 0) FROM messages;
DROP INDEX messages_by_consent;

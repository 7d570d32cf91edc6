-- SQLite only (see src/store/by_consent.rs). Messages not yet listed in consent_messages
-- now wait in a narrow table of their own, filled by a trigger in the transaction that
-- stores them: listing them reads 2,048 short rows instead of 2,048 whole messages (a
-- 4 KiB page each), which had made every 2,048th batch wait 10–50 ms. A lookup by consent
-- reads both tables, so it needs no catch-up and no ordering of commits.
CREATE TABLE consent_messages_waiting (
    seq        INTEGER PRIMARY KEY,
    consent_id TEXT NOT NULL
);
INSERT INTO consent_messages_waiting (seq, consent_id)
SELECT seq, consent_id FROM messages
WHERE consent_id IS NOT NULL AND seq > (SELECT upto FROM consent_messages_indexed);
DROP TABLE consent_messages_indexed;
CREATE TRIGGER messages_wait_for_consent_list AFTER INSERT ON messages
WHEN NEW.consent_id IS NOT NULL
BEGIN
    INSERT INTO consent_messages_waiting (seq, consent_id) VALUES (NEW.seq, NEW.consent_id);
END;

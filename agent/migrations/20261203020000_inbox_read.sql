-- When the person first saw a message a vendor sent (NULL: not yet). The desktop app's
-- Inbox counts what is unread; nothing leaves the vault because of it.
ALTER TABLE inbox ADD COLUMN read TEXT;
CREATE INDEX inbox_unread ON inbox (received) WHERE read IS NULL;

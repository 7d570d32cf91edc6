-- What replay protection needs of a message once its content is deleted (revocation or
-- retention): its id, sender, digest and the receipt it got — no content. A message
-- sent again after deletion gets its original receipt and is not stored a second time.
CREATE TABLE deleted_messages (
    id       TEXT PRIMARY KEY NOT NULL,
    sender   TEXT NOT NULL,
    digest   TEXT NOT NULL,
    response TEXT NOT NULL,
    deleted  TEXT NOT NULL
);

-- Inbox queries answered, by id, for as long as one could still be fresh: a captured
-- query sent again is refused.
CREATE TABLE inbox_queries (
    id      TEXT PRIMARY KEY NOT NULL,
    sender  TEXT NOT NULL,
    created TEXT NOT NULL
);

-- A revocation's deleted ids, kept with it: its deletion receipt is signed only after the
-- deleted content is erased from disk, and a revocation sent again after a crash in
-- between is answered from them. Its `response` is empty until then.
ALTER TABLE messages ADD COLUMN deleted_ids TEXT;

-- A consent's cases are found through the messages that opened them (a case's id is its
-- opening message's id, under the same consent), so they are deleted exactly when those
-- messages are. An index of cases ordered by consent rewrote one more B-tree page for
-- every message received, and is not needed. Keep in step with ../sqlite and ../postgres.
DROP INDEX cases_by_consent;

-- A request found incomplete (CRPA L114-5): the pieces and information
-- asked of the sender, the date they are due by, the day they were asked
-- and the day they came (empty while awaited), and the letter's due date
-- when they were asked, from which the due date once they come is counted
-- for an SVR doctype (the delay is suspended) — an SVA or normal one counts
-- its delay afresh from their receipt. One row per letter: asking again
-- after the pieces came replaces it; the history keeps every request.
CREATE TABLE letter_pieces (
	letter_id   TEXT PRIMARY KEY REFERENCES letters(id),
	tenant_id   TEXT NOT NULL REFERENCES tenants(id),
	missing     TEXT NOT NULL,
	deadline    TEXT NOT NULL,
	asked_on    TEXT NOT NULL,
	asked_by    TEXT NOT NULL,
	due_before  TEXT NOT NULL DEFAULT '',
	received_on TEXT NOT NULL DEFAULT ''
);

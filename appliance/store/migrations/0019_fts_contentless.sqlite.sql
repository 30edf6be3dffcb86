-- The full-text index keeps no copy of the text. Before, letters_fts was
-- an ordinary FTS5 table: besides its index it stored the folded subject,
-- body, notes and sender of every letter in letters_fts_content, a second
-- copy of each body (about 20 KB a letter for an e-mail). A contentless
-- table (content='') stores only the index; contentless_delete=1 lets
-- Tx.IndexLetter delete a letter's entry by its rowid without giving back
-- the text it indexed. Searches read only rowids, never the columns.
-- The indexed text is folded by Missive (store.indexText) and gathered
-- from three tables, so it is no column of letters that an external-content
-- table could read: the new index is filled from the old one's stored text,
-- which is exactly what was indexed, so every search finds what it found.
CREATE VIRTUAL TABLE letters_fts_new USING fts5 (
	subject, body, notes, sender,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO letters_fts_new (rowid, subject, body, notes, sender)
	SELECT rowid, subject, body, notes, sender FROM letters_fts;
INSERT INTO letters_fts_new (letters_fts_new) VALUES ('optimize');
DROP TABLE letters_fts;
ALTER TABLE letters_fts_new RENAME TO letters_fts;

-- SQLite's 0019 makes its full-text index contentless. PostgreSQL's is the
-- tsvector column letters.tsv and its GIN index: lexemes and positions,
-- never a copy of the text, so nothing changes. This file keeps the schema
-- versions of the two dialects equal, as snapshots require.
SELECT 1;

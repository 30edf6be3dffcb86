-- SQLite's 0017 adds an index for counting search matches; PostgreSQL
-- counts them from the GIN index's bitmap and needs none. This file keeps
-- the schema versions of the two dialects equal, as snapshots require.
SELECT 1;

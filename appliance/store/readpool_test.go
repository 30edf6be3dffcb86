package store

import (
	"strconv"
	"strings"
	"testing"
)

// The reads of the Store go through a pool that cannot write, with a page
// cache and mmap, and still see every committed write at once.
func TestReadPoolIsQueryOnly(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	r := s.Reader()
	if r.q != s.rdb || r.q == s.db {
		t.Fatal("the store's Reader does not read through the read pool")
	}
	if _, err := r.q.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('x', 'y')`); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("a write through the read pool: %v, want a read-only refusal", err)
	}
	for pragma, want := range map[string]int{"mmap_size": mmapBytes, "cache_size": -readerCacheKB, "query_only": 1} {
		var got int
		if err := s.rdb.QueryRowContext(ctx, `PRAGMA `+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("read pool PRAGMA %s = %d (%v), want %d", pragma, got, err, want)
		}
	}
	if st := s.rdb.Stats(); st.MaxOpenConnections != readConns() {
		t.Errorf("read pool of %d connections, want %d", st.MaxOpenConnections, readConns())
	}
	// Each write is visible to the next read through the pool.
	for i := uint64(1); i <= 20; i++ {
		if err := s.Update(ctx, i, func(tx *Tx) error { return tx.SetMeta("probe", strconv.FormatUint(i, 10)) }); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Reader().Meta(ctx, "probe"); err != nil || v != strconv.FormatUint(i, 10) {
			t.Fatalf("read after write %d: %q, %v", i, v, err)
		}
	}
}

// A hot query is prepared once per pool and reused, inside transactions
// too; a query that cannot be prepared still runs and reports its error.
func TestStatementsPreparedOnce(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		s, err := Open(t.Context(), dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := t.Context()
		const q = `SELECT value FROM meta WHERE key = ?`
		for i := uint64(1); i <= 5; i++ {
			if err := s.Update(ctx, i, func(tx *Tx) error { return tx.SetMeta("k", "v") }); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Reader().Meta(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		}
		for name, c := range map[string]*stmtCache{"read": s.rstmts, "write": s.wstmts} {
			c.mu.RLock()
			st, n := c.m[q], len(c.m)
			c.mu.RUnlock()
			if st == nil {
				t.Errorf("%s pool: %q not prepared", name, q)
			}
			// meta read, delete and insert, and on SQLite nothing else.
			if n > 4 {
				t.Errorf("%s pool: %d statements after 5 identical entries, want each once", name, n)
			}
		}
		before := len(s.rstmts.m)
		if _, err := s.Reader().query(ctx, `SELECT nothing FROM nowhere WHERE a = ?`, 1); err == nil {
			t.Fatal("a query on a missing table succeeded")
		}
		if len(s.rstmts.m) != before {
			t.Error("a statement that failed to prepare was cached")
		}
	})
}

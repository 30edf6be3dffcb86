package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds the statements prepared on one pool, by query text. A
// *sql.Stmt of a *sql.DB is prepared once per connection, on first use
// there, and kept with it: a hot query is parsed and planned once per
// connection instead of once per call, which was about 15 % of the CPU of
// SMTP intake. A transaction uses the same statement through
// tx.StmtContext, which reuses what its connection already prepared.
type stmtCache struct {
	db *sql.DB
	d  dialect
	mu sync.RWMutex
	m  map[string]*sql.Stmt
	// texts are the query texts built from a query's shape (memo).
	texts map[any]any
}

// maxStmts bounds the cache: the texts of the hot queries are a few
// hundred; a filter or a perimeter of unusual shape past the bound runs
// unprepared, as every query did before.
const maxStmts = 512

func newStmtCache(db *sql.DB, d dialect) *stmtCache {
	return &stmtCache{db: db, d: d, m: map[string]*sql.Stmt{}, texts: map[any]any{}}
}

// get returns the statement for q (written with ?), preparing it on first
// use; nil when it cannot be prepared now (the database is down: the caller
// runs the text and reports that error) or the cache is full.
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[q]
	full := len(c.m) >= maxStmts
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, c.d.rebind(q))
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[q]; ok {
		st.Close()
		return old
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// memo returns the query text(s) of a query whose text depends only on
// key (a comparable struct: the perimeter's and the filter's shape), built
// by build the first time: a hot read then builds no text, and finds its
// statement by it.
func memo[T any](r rd, key any, build func() T) T {
	c := r.stmts
	if c == nil {
		return build()
	}
	c.mu.RLock()
	v, ok := c.texts[key]
	full := len(c.texts) >= maxStmts
	c.mu.RUnlock()
	if ok {
		return v.(T)
	}
	q := build()
	if !full {
		c.mu.Lock()
		c.texts[key] = q
		c.mu.Unlock()
	}
	return q
}

// prepared is the statement to run q with: the pool's, bound to the
// transaction inside one; nil to run the text itself.
func (r rd) prepared(ctx context.Context, q string) *sql.Stmt {
	if r.stmts == nil {
		return nil
	}
	st := r.stmts.get(ctx, q)
	if st == nil || r.tx == nil {
		return st
	}
	return r.tx.StmtContext(ctx, st)
}

package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// dialect is every difference between SQLite and PostgreSQL, in one place.
// Queries are written once with ? placeholders.
type dialect interface {
	name() string
	rebind(q string) string
	lock(ctx context.Context, c *sql.Conn) error
	unlock(ctx context.Context, c *sql.Conn)
}

type sqliteDialect struct{}

func (sqliteDialect) name() string                          { return "sqlite" }
func (sqliteDialect) rebind(q string) string                { return q }
func (sqliteDialect) lock(context.Context, *sql.Conn) error { return nil }
func (sqliteDialect) unlock(context.Context, *sql.Conn)     {}

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

// rebind turns ? into $1, $2 … outside quoted strings.
func (postgresDialect) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// The advisory lock key is arbitrary but fixed: "missive" in ASCII.
const pgLockKey = 0x6d6973736976

func (postgresDialect) lock(ctx context.Context, c *sql.Conn) error {
	_, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(pgLockKey))
	return err
}

func (postgresDialect) unlock(ctx context.Context, c *sql.Conn) {
	c.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(pgLockKey))
}

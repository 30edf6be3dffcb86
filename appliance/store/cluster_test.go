package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// A database belongs to the first node that opens it: another node is
// refused with a message naming both, the owner is welcome back, and the
// claim stays out of the snapshot (a backup or a raft snapshot restored
// on another node does not carry it).
func TestClaimOneNodePerDatabase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := context.Background()
		a, err := Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Claim(ctx, "site-a"); err != nil {
			t.Fatalf("first claim: %v", err)
		}
		b, err := Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		err = b.Claim(ctx, "site-b")
		var other *OtherNodeError
		if !errors.Is(err, ErrOtherNode) || !errors.As(err, &other) || other.Owner != "site-a" || !strings.Contains(err.Error(), "site-b") {
			t.Fatalf("second node's claim: %v, want ErrOtherNode naming site-a and site-b", err)
		}
		if err := b.Claim(ctx, "site-a"); err != nil {
			t.Fatalf("the owner's claim again: %v", err)
		}
		var dump bytes.Buffer
		if err := a.Dump(ctx, &dump); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(dump.Bytes(), []byte("site-a")) || bytes.Contains(dump.Bytes(), []byte("node_owner")) {
			t.Fatal("the node claim is in the snapshot")
		}
		if err := a.Load(ctx, bytes.NewReader(dump.Bytes())); err != nil {
			t.Fatal(err)
		}
		if err := a.Claim(ctx, "site-b"); !errors.Is(err, ErrOtherNode) {
			t.Fatalf("a snapshot load cleared the claim: %v", err)
		}
	})
}

// Every table of the schema is either in the snapshot or one of the
// node's own: a table added by a migration and forgotten in snapshot.go
// would silently not replicate to a joining node.
func TestEveryTableIsInTheSnapshotOrTheNodes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := context.Background()
		s, err := Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'letters_fts%'`
		if s.Dialect() == "postgres" {
			q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
		}
		rows, err := s.db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			if name != "schema_migrations" && !slices.Contains(tables, name) && !slices.Contains(nodeTables, name) {
				t.Errorf("table %s is neither in the snapshot (tables) nor a node's own (nodeTables)", name)
			}
		}
	})
}

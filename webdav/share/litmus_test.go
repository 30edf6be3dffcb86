package share_test

import (
	"testing"

	"missive/appliance/store/pgtest"
	"missive/webdav/share/litmustest"
)

func TestLitmusWorkingFolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	litmustest.Run(t, f.srv.URL+"/dav/default/~alice/", "alice", userPassword)
}

// The share's SQL (moves by prefix, LIKE with ESCAPE) runs on PostgreSQL
// as well: litmus's copies, moves and properties exercise all of it.
func TestLitmusPostgres(t *testing.T) {
	t.Parallel()
	f := newFixtureOn(t, pgtest.DSN(t))
	litmustest.Run(t, f.srv.URL+"/dav/default/~alice/", "alice", userPassword)
	litmustest.Run(t, f.srv.URL+f.folderA, "alice", userPassword)
}

func TestLitmusLetterFolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	litmustest.Run(t, f.srv.URL+f.folderA, "alice", userPassword)
}

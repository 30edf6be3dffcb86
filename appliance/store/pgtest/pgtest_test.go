package pgtest

import (
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// psqlTCP runs one query over TCP with the DSN's password in PGPASSWORD, as a
// client of the store would connect, and returns the unaligned output.
func psqlTCP(t *testing.T, dsn, password, query string) (string, error) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(shared.srv.psql, "-X", "-At", "-v", "ON_ERROR_STOP=1",
		"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username(),
		"-d", strings.TrimPrefix(u.Path, "/"), "-c", query)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestSharedDatabases(t *testing.T) {
	start := time.Now()
	dsn1 := DSN(t)
	t.Logf("first DSN (server start + database): %v", time.Since(start))
	start = time.Now()
	dsn2 := DSN(t)
	t.Logf("second DSN (database only): %v", time.Since(start))
	if dsn1 == dsn2 {
		t.Fatalf("same DSN twice: %s", dsn1)
	}
	u, err := url.Parse(dsn1)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" || u.Query().Get("sslmode") != "disable" || u.User.Username() != superuser {
		t.Fatalf("unexpected DSN %s", dsn1)
	}
	password, _ := u.User.Password()

	names := map[string]bool{}
	for _, dsn := range []string{dsn1, dsn2} {
		out, err := psqlTCP(t, dsn, password, "SELECT 1")
		if err != nil || out != "1" {
			t.Fatalf("SELECT 1 on %s: %v: %s", dsn, err, out)
		}
		out, err = psqlTCP(t, dsn, password, "SELECT current_database()")
		if err != nil {
			t.Fatalf("current_database on %s: %v: %s", dsn, err, out)
		}
		if want := strings.TrimPrefix((must(url.Parse(dsn))).Path, "/"); out != want {
			t.Fatalf("connected to %q, want %q", out, want)
		}
		names[out] = true
	}
	if len(names) != 2 {
		t.Fatalf("both DSNs reach the same database: %v", names)
	}

	// A table made in one database is not visible in the other.
	if out, err := psqlTCP(t, dsn1, password, "CREATE TABLE only_here (x int)"); err != nil {
		t.Fatalf("create table: %v: %s", err, out)
	}
	if out, err := psqlTCP(t, dsn2, password, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'"); err != nil || out != "0" {
		t.Fatalf("table leaked into the second database: %v: %s", err, out)
	}

	// TCP is not trust: a wrong password is refused.
	if out, err := psqlTCP(t, dsn1, "wrong", "SELECT 1"); err == nil {
		t.Fatalf("wrong password accepted: %s", out)
	}

	// unaccent is there whenever the server ships it (Debian's does).
	out, err := psqlTCP(t, dsn1, password, "SELECT count(*) FROM pg_available_extensions WHERE name = 'unaccent'")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out == "1" {
		if out, err := psqlTCP(t, dsn2, password, "SELECT unaccent('Évêché')"); err != nil || out != "Eveche" {
			t.Fatalf("unaccent: %v: %s", err, out)
		}
	}
}

func TestStop(t *testing.T) {
	start := time.Now()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start: %v", time.Since(start))
	if _, err := os.Stat(s.dir); err != nil {
		t.Fatalf("server dir: %v", err)
	}
	if _, err := s.NewDatabase("x"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop: %v", time.Since(start))
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("dir %s still there after Stop: %v", s.dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestDBName(t *testing.T) {
	for _, c := range []struct {
		n    int64
		name string
		want string
	}{
		{1, "TestStore/postgres/Letters", "t1_teststore_postgres_letters"},
		{12, "Évêché -- dup", "t12_v_ch_dup"},
		{3, "", "t3"},
		{4, "a'; DROP DATABASE x; --", "t4_a_drop_database_x"},
	} {
		if got := dbName(c.n, c.name); got != c.want {
			t.Errorf("dbName(%d, %q) = %q, want %q", c.n, c.name, got, c.want)
		}
	}
	long := dbName(123, strings.Repeat("Abc/", 40))
	if len(long) > 63 || !strings.HasPrefix(long, "t123_abc_") || strings.HasSuffix(long, "_") {
		t.Errorf("long name %q (%d bytes)", long, len(long))
	}
}

func TestVersionOrder(t *testing.T) {
	if !versionLess("/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin") ||
		versionLess("/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin") {
		t.Fatal("versions compared as strings")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestHaltResume: a halted server refuses connections, and resumes on the
// same port with its databases, so that a DSN taken before works after.
func TestHaltResume(t *testing.T) {
	t.Parallel()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	dsn, err := s.NewDatabase("halt")
	if err != nil {
		t.Fatal(err)
	}
	psql := func(q string) (string, error) {
		cmd := exec.Command(s.psql, "-X", "-At", "-d", dsn, "-c", q)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if _, err := psql("CREATE TABLE t (x int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	if out, err := psql("SELECT x FROM t"); err == nil {
		t.Fatalf("query on a halted server answered %q", out)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if out, err := psql("SELECT x FROM t"); err != nil || out != "42" {
		t.Fatalf("after resume: %q %v", out, err)
	}
}

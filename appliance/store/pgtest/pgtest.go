// Package pgtest starts a throw-away PostgreSQL server for tests: real
// PostgreSQL, on loopback, in a temp dir.
//
// A test binary that uses DSN should wrap its tests with Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Each test binary gets its own cluster on its own port, so packages tested in
// parallel by "go test ./..." do not share anything.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// superuser is the role initdb creates; the DSNs log in as it.
const superuser = "missive"

// cmdTimeout bounds every external command so that a wedged server fails the
// tests instead of hanging them until go test's own timeout.
const cmdTimeout = 2 * time.Minute

// errMissing marks "no PostgreSQL binaries here", as opposed to a server that
// is installed but failed to start: DSN words the two differently.
var errMissing = errors.New("binaires initdb/pg_ctl introuvables")

// Server is one running PostgreSQL cluster in a temp dir.
type Server struct {
	dir      string // temp dir: data/, sock/, log; removed by Stop
	data     string
	sock     string
	port     int
	password string
	bin      string // dir holding initdb, pg_ctl, postgres
	psql     string

	// cred is the postgres system user when the tests run as root (initdb and
	// postgres refuse to run as root); nil otherwise.
	cred *syscall.Credential
	home string

	dbs atomic.Int64 // counter making database names unique

	watchdog *exec.Cmd
	lifeline *os.File // write end of the watchdog's stdin; see startWatchdog

	stopOnce sync.Once
	stopErr  error
}

// Start initdb's a cluster in a fresh temp dir and starts it on 127.0.0.1 with
// a free port and a unix socket dir inside the temp dir.
func Start() (*Server, error) {
	bin, psql, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, psql: psql}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("tests run as root, so PostgreSQL must run as the postgres user: %w", err)
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("postgres user: bad uid/gid %q/%q", u.Uid, u.Gid)
		}
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		s.home = u.HomeDir
	}
	if s.dir, err = os.MkdirTemp(os.TempDir(), "pgtest-"); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	s.data = filepath.Join(s.dir, "data")
	s.sock = filepath.Join(s.dir, "sock")
	if err := s.setup(); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func (s *Server) setup() error {
	// The dir belongs to whoever runs the server; os.TempDir() itself is
	// world-traversable (/tmp), so the postgres user can reach it.
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(s.sock, 0o700); err != nil {
		return err
	}
	if err := s.chown(s.dir, s.sock); err != nil {
		return err
	}
	if err := s.startWatchdog(); err != nil {
		return err
	}
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	s.password = hex.EncodeToString(pw)
	if err := s.initdb(); err != nil {
		return err
	}
	return s.start()
}

func (s *Server) initdb() error {
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if err := s.chown(pwfile); err != nil {
		return err
	}
	// Trust only on the unix socket (private to this dir); TCP clients must
	// present the password, as they would against a real server.
	args := func(locale string) []string {
		return []string{"-D", s.data, "-U", superuser, "--pwfile=" + pwfile,
			"--auth-local=trust", "--auth-host=scram-sha-256",
			"-E", "UTF8", "--locale=" + locale, "--no-sync"}
	}
	out, err := s.run(filepath.Join(s.bin, "initdb"), args("C.UTF-8")...)
	if err == nil {
		return nil
	}
	// C.UTF-8 is missing on some systems (older glibc, musl): retry with C,
	// which always exists; report both failures if that does not help either.
	first := fmt.Errorf("initdb --locale=C.UTF-8 %s: %w\n%s", s.dir, err, out)
	if err := os.RemoveAll(s.data); err != nil {
		return errors.Join(first, err)
	}
	if out, err := s.run(filepath.Join(s.bin, "initdb"), args("C")...); err != nil {
		return errors.Join(first, fmt.Errorf("initdb --locale=C %s: %w\n%s", s.dir, err, out))
	}
	return nil
}

// start runs pg_ctl start on a free port. The port is free when we look but
// another process (a parallel test binary) may take it before postgres binds
// it, so an "address in use" failure is retried on a new port.
func (s *Server) start() error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, err = freePort(); err != nil {
			return err
		}
		var log string
		if log, err = s.startOnPort(); err == nil {
			return nil
		}
		if !strings.Contains(log, "already in use") {
			return err
		}
	}
	return err
}

// startOnPort runs pg_ctl start on s.port and returns the server log's tail
// when it fails.
func (s *Server) startOnPort() (string, error) {
	logPath := filepath.Join(s.dir, "log")
	os.Remove(logPath) // so that the tail below is this attempt's
	// Durability settings off: the cluster is thrown away anyway.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
		s.port, shQuote(s.sock))
	out, err := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", s.data, "-l", logPath, "-w", "-o", opts, "start")
	if err != nil {
		log := tail(logPath)
		return log, fmt.Errorf("pg_ctl start %s (port %d): %w\n%s\nserver log:\n%s", s.dir, s.port, err, out, log)
	}
	return "", nil
}

// Halt stops the server as an outage would (pg_ctl stop -m fast: open
// connections are cut), keeping its data for Resume.
func (s *Server) Halt() error {
	if out, err := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", s.data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop %s: %w\n%s", s.dir, err, out)
	}
	return nil
}

// Resume starts a halted server again, on the same port.
func (s *Server) Resume() error {
	_, err := s.startOnPort()
	return err
}

// Stop stops the server (pg_ctl stop -m fast) and removes its dir. Later
// calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if _, err := os.Stat(filepath.Join(s.data, "postmaster.pid")); err == nil {
			if out, err := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", s.data, "-m", "fast", "-w", "stop"); err != nil {
				errs = append(errs, fmt.Errorf("pg_ctl stop %s: %w\n%s", s.dir, err, out))
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", s.dir, err))
		}
		if s.lifeline != nil {
			s.lifeline.Close() // the watchdog finds nothing left to do
			s.watchdog.Wait()
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// startWatchdog starts a small shell, in its own session, that blocks reading
// a pipe whose only writer is this process. If the test binary dies without
// calling Stop (a panicking test, a go test timeout, ^C), the pipe closes and
// the shell stops the server and removes the dir: pg_ctl detaches postgres,
// so nothing else would, and every crash would leak a server.
func (s *Server) startWatchdog() error {
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return err
	}
	defer r.Close()
	script := `read _; "$0" -D "$1" -m immediate stop >/dev/null 2>&1; rm -rf "$2"`
	cmd := s.command(context.Background(), "/bin/sh", "-c", script, filepath.Join(s.bin, "pg_ctl"), s.data, s.dir)
	cmd.Stdin = r
	cmd.SysProcAttr.Setsid = true // survive the ^C that kills the test binary
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("pgtest watchdog: %w", err)
	}
	s.watchdog, s.lifeline = cmd, w
	return nil
}

// NewDatabase creates an empty database with a unique name derived from name
// and returns its DSN:
// postgres://USER:PASS@127.0.0.1:PORT/DB?sslmode=disable.
// The unaccent extension is created in it when the server has it.
func (s *Server) NewDatabase(name string) (dsn string, err error) {
	db := dbName(s.dbs.Add(1), name)
	// One psql for both steps: CREATE DATABASE cannot share a transaction with
	// anything, so it is its own -c, then \c switches to the new database.
	ext := `DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
    CREATE EXTENSION IF NOT EXISTS unaccent;
  END IF;
END $$`
	out, err := s.run(s.psql, "-X", "-q", "-h", s.sock, "-p", strconv.Itoa(s.port), "-U", superuser,
		"-d", "postgres", "-v", "ON_ERROR_STOP=1",
		"-c", "CREATE DATABASE "+db, "-c", `\c `+db, "-c", ext)
	if err != nil {
		return "", fmt.Errorf("create database %s: %w\n%s", db, err, out)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String(), nil
}

// dbName is "t<n>_<name>" reduced to [a-z0-9_] and 63 bytes (PostgreSQL's
// limit on identifiers), so it needs no quoting. The counter comes first so
// that truncation cannot make two names equal.
func dbName(n int64, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "t%d", n)
	under := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if !under {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = true
		} else {
			under = false // collapse runs of other characters into one _
		}
	}
	db := b.String()
	if len(db) > 63 {
		db = strings.TrimRight(db[:63], "_")
	}
	return db
}

// findBin returns the dir holding initdb and pg_ctl, and the psql to use:
// $MISSIVE_PG_BIN, else the newest /usr/lib/postgresql/*/bin (Debian keeps
// them off PATH), else PATH.
func findBin() (bin, psql string, err error) {
	has := func(dir string, names ...string) bool {
		for _, n := range names {
			if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("MISSIVE_PG_BIN"); dir != "" {
		if !has(dir, "initdb", "pg_ctl") {
			return "", "", fmt.Errorf("MISSIVE_PG_BIN=%s: %w", dir, errMissing)
		}
		bin = dir
	} else {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(dirs, func(i, j int) bool { return versionLess(dirs[j], dirs[i]) })
		for _, d := range dirs {
			if has(d, "initdb", "pg_ctl") {
				bin = d
				break
			}
		}
		if bin == "" {
			initdb, err := exec.LookPath("initdb")
			if err != nil {
				return "", "", fmt.Errorf("ni /usr/lib/postgresql/*/bin ni PATH: %w", errMissing)
			}
			bin = filepath.Dir(initdb)
			if !has(bin, "pg_ctl") {
				return "", "", fmt.Errorf("%s: %w", bin, errMissing)
			}
		}
	}
	if has(bin, "psql") {
		return bin, filepath.Join(bin, "psql"), nil
	}
	if psql, err = exec.LookPath("psql"); err != nil {
		return "", "", fmt.Errorf("psql: %w", err)
	}
	return bin, psql, nil
}

// versionLess compares /usr/lib/postgresql/<ver>/bin paths numerically, so
// that 9.6 < 15 < 16.
func versionLess(a, b string) bool {
	pa := strings.Split(filepath.Base(filepath.Dir(a)), ".")
	pb := strings.Split(filepath.Base(filepath.Dir(b)), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// command prepares an external command run as the server's user, in the temp
// dir (the test's working dir may be closed to that user), with no PG*
// variables from the environment that could redirect psql or pg_ctl.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !(s.cred != nil && strings.HasPrefix(kv, "HOME=")) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if s.cred != nil {
		cmd.Env = append(cmd.Env, "HOME="+s.home)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	// Do not wait forever for output pipes held open by a grandchild.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	return s.command(ctx, name, args...).CombinedOutput()
}

func (s *Server) chown(paths ...string) error {
	if s.cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return err
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of the server log, where postgres says why it
// did not start.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// shared is the one server of this test binary, started by the first DSN.
var shared struct {
	mu  sync.Mutex
	srv *Server
	err error // a failed start is not retried: every DSN reports it
}

// Main is for TestMain: it starts nothing eagerly, runs m, stops the shared
// server if a test started one and returns the exit code.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		shared.srv = nil
	}
	return code
}

// DSN returns a fresh empty database on the shared server, starting the
// server on first use. It fails the test (never skips it) when PostgreSQL
// cannot be run, so that a CI without it does not pass silently.
func DSN(t testing.TB) string {
	t.Helper()
	shared.mu.Lock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = Start()
	}
	srv, err := shared.srv, shared.err
	shared.mu.Unlock()
	if errors.Is(err, errMissing) {
		t.Fatalf("PostgreSQL introuvable: installez le paquet Debian postgresql (apt-get install postgresql) ou indiquez le dossier de initdb dans MISSIVE_PG_BIN: %v", err)
	}
	if err != nil {
		t.Fatalf("pgtest: démarrage de PostgreSQL: %v", err)
	}
	dsn, err := srv.NewDatabase(t.Name())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

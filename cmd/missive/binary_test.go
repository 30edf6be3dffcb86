//go:build !bench

package main

// Black-box tests of the built binary: TestMain builds it once, each test
// runs it as a user would, in its own data dir, on a port from :0.
// (The bench build tag has its own TestMain, in bench_test.go.)

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store/pgtest"

	_ "modernc.org/sqlite"
)

// missiveBin is the binary under test, built once by TestMain.
var missiveBin string

func TestMain(m *testing.M) {
	// pgtest stops the PostgreSQL server a test started (restore --db).
	os.Exit(pgtest.Main(runFunc(func() int { return buildAndRun(m) })))
}

type runFunc func() int

func (f runFunc) Run() int { return f() }

func buildAndRun(m *testing.M) int {
	root, err := findModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "missive-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	missiveBin = filepath.Join(dir, "missive")
	cmd := exec.Command("go", "build", "-o", missiveBin, "./cmd/missive")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/missive: %v\n%s", err, out)
		return 1
	}
	return pgtest.Main(m)
}

func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// newDataDir is a fresh data dir with a short path: the control socket lives
// in it and unix socket paths are limited to about 100 bytes.
func newDataDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "mv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "data")
}

// missiveEnv is the test's environment without what would change the
// binary's behaviour, plus extra.
func missiveEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MISSIVE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// runMissive runs one CLI command to completion.
func runMissive(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, missiveBin, args...)
	cmd.Env = missiveEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
	default:
		t.Fatalf("missive %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return cliResult{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// mustMissive runs a command that must succeed and returns its stdout.
func mustMissive(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := runMissive(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("missive %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// outputLines collects a process's output line by line and lets a test wait for
// one of them.
type outputLines struct {
	mu      sync.Mutex
	all     []string
	partial []byte
	changed chan struct{} // closed and replaced at every new line and at EOF
	eof     bool
}

func newOutputLines() *outputLines { return &outputLines{changed: make(chan struct{})} }

func (l *outputLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.all = append(l.all, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

func (l *outputLines) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.all = append(l.all, string(l.partial))
	}
	l.eof = true
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *outputLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// wait returns the submatches of the first line matching re, or nil once
// the output ended or the timeout passed without one.
func (l *outputLines) wait(re *regexp.Regexp, timeout time.Duration) []string {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for _, s := range l.all {
			if m := re.FindStringSubmatch(s); m != nil {
				l.mu.Unlock()
				return m
			}
		}
		eof, changed := l.eof, l.changed
		l.mu.Unlock()
		if eof {
			return nil
		}
		select {
		case <-changed:
		case <-deadline:
			return nil
		}
	}
}

// missiveServer is a running `missive serve`.
type missiveServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	data   string
	url    string
	stdout *outputLines
	stderr *outputLines
	done   chan struct{} // closed when the process has exited
	// client reaches the server; nil: apiClient (a server in a network
	// namespace of the test is reached through one of its own).
	client *http.Client
}

// http is the client that reaches this server.
func (s *missiveServer) http() *http.Client {
	if s.client != nil {
		return s.client
	}
	return apiClient
}

var (
	serveReadyRe    = regexp.MustCompile(`^Missive est prêt(?:, en lecture seule)?: (http://127\.0\.0\.1:[0-9]+/)$`)
	firstPasswordRe = regexp.MustCompile(`^Premier démarrage: utilisateur admin, mot de passe (\S+)$`)
)

// startMissive starts `missive serve` on data and waits until it prints its URL.
func startMissive(t *testing.T, data string, env ...string) *missiveServer {
	t.Helper()
	return startMissiveWith(t, data, nil, env...)
}

// startMissiveWith is startMissive with more arguments to serve.
func startMissiveWith(t *testing.T, data string, args []string, env ...string) *missiveServer {
	t.Helper()
	return startMissiveVia(t, nil, data, args, env...)
}

// startMissiveVia is startMissiveWith run through a command prefix (ip
// netns exec NS), which must exec the binary in its own process so that a
// signal reaches missive itself.
func startMissiveVia(t *testing.T, prefix []string, data string, args []string, env ...string) *missiveServer {
	t.Helper()
	s := &missiveServer{t: t, data: data, stdout: newOutputLines(), stderr: newOutputLines(), done: make(chan struct{})}
	argv := append(slices.Concat(prefix, []string{missiveBin, "serve", "--data", data, "--listen", "127.0.0.1:0"}), args...)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Env = missiveEnv(env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		s.stdout.close()
		s.stderr.close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	m := s.stdout.wait(serveReadyRe, 60*time.Second)
	if m == nil {
		s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("missive serve did not print its URL\nstdout: %s\nstderr: %s", s.stdout, s.stderr)
	}
	s.url = strings.TrimSuffix(m[1], "/")
	return s
}

// firstPassword waits for the admin password of a first start.
func (s *missiveServer) firstPassword() string {
	s.t.Helper()
	m := s.stdout.wait(firstPasswordRe, 10*time.Second)
	if m == nil {
		s.t.Fatalf("first start printed no admin password\nstdout: %s", s.stdout)
	}
	return m[1]
}

// stop sends SIGTERM and requires a clean exit (status 0) within a deadline.
func (s *missiveServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("missive serve still running 30 s after SIGTERM\nstderr: %s", s.stderr)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Fatalf("missive serve exited %d after SIGTERM, want 0\nstderr: %s", code, s.stderr)
	}
}

// kill ends the server as a crash would.
func (s *missiveServer) kill() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Fatal("missive serve survived SIGKILL")
	}
}

// token creates an API token for login through the CLI.
func (s *missiveServer) token(login string) string {
	s.t.Helper()
	tok := strings.TrimSpace(mustMissive(s.t, "", "token create", "--data", s.data, "--user", login))
	if len(tok) < 20 || strings.ContainsAny(tok, " \n") {
		s.t.Fatalf("token create printed %q, want one token", tok)
	}
	return tok
}

var apiClient = &http.Client{Timeout: 30 * time.Second}

// call makes an API request and returns its status and body.
func (s *missiveServer) call(method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// must makes an API request that must answer want, and decodes the body.
func (s *missiveServer) must(want int, method, path, token string, body, out any) {
	s.t.Helper()
	code, b, err := s.call(method, path, token, body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

type apiLetter struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Subject  string `json:"subject"`
	Status   string `json:"status"`
	EntityID string `json:"entity_id"`
}

type apiLetterPage struct {
	Items []apiLetter `json:"items"`
	Total int         `json:"total"`
}

// allLetters lists every letter of the tenant (as admin).
func (s *missiveServer) allLetters(token string) []apiLetter {
	s.t.Helper()
	var all []apiLetter
	for page := 1; ; page++ {
		var p apiLetterPage
		s.must(200, "GET", fmt.Sprintf("/api/v1/letters?sort=number&per_page=500&page=%d", page), token, nil, &p)
		all = append(all, p.Items...)
		if len(p.Items) < 500 {
			if len(all) != p.Total {
				s.t.Fatalf("listed %d letters, total says %d", len(all), p.Total)
			}
			return all
		}
	}
}

type apiHistoryEntry struct {
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"`
	LetterID string `json:"letter_id"`
}

func (s *missiveServer) history(token string) []apiHistoryEntry {
	s.t.Helper()
	var all []apiHistoryEntry
	for page := 1; ; page++ {
		var p []apiHistoryEntry
		s.must(200, "GET", fmt.Sprintf("/api/v1/history?per_page=500&page=%d", page), token, nil, &p)
		all = append(all, p...)
		if len(p) < 500 {
			return all
		}
	}
}

var verifiedRe = regexp.MustCompile(`Historique intègre: ([0-9]+) entrées`)

// verifyHistory runs `missive history verify` and returns the number of entries.
func verifyHistory(t *testing.T, data string) int {
	t.Helper()
	out := mustMissive(t, "", "history verify", "--data", data)
	m := verifiedRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("history verify said %q, want the number of entries", out)
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

var letterNumberRe = regexp.MustCompile(`^([0-9]{4})/([ADI])/([0-9]{6})$`)

func TestFirstStartTokenAndLetterFlow(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	pw := s.firstPassword()
	if !regexp.MustCompile(`^[a-zA-Z2-9]{16,}$`).MatchString(pw) {
		t.Fatalf("admin password %q is not a generated password", pw)
	}
	s.must(200, "GET", "/healthz", "", nil, nil)
	s.must(200, "GET", "/readyz", "", nil, nil)
	s.must(401, "GET", "/api/v1/me", "", nil, nil)

	tok := s.token("admin")
	var me struct{ Login, Role string }
	s.must(200, "GET", "/api/v1/me", tok, nil, &me)
	if me.Login != "admin" || me.Role != "admin" {
		t.Fatalf("token is for %+v, want admin", me)
	}

	var l apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{
		"category": "incoming", "subject": "Arbres rue des Écoles",
		"sender": map[string]any{"name": "Jean Dupont", "email": "jean.dupont@example.fr"},
		"body":   "Madame le Maire, je vous demande l'élagage des platanes devant l'école.",
	}, &l)
	m := letterNumberRe.FindStringSubmatch(l.Number)
	if m == nil || m[2] != "A" || m[3] != "000001" {
		t.Fatalf("first incoming letter numbered %q, want YYYY/A/000001", l.Number)
	}
	for _, q := range []string{"elagage", "élagage", "ÉLAGAGE", "elag*", `"des platanes"`} {
		var p apiLetterPage
		s.must(200, "GET", "/api/v1/letters?q="+url.QueryEscape(q), tok, nil, &p)
		if p.Total != 1 || len(p.Items) != 1 || p.Items[0].ID != l.ID {
			t.Errorf("search %q: %+v, want the letter %s", q, p, l.Number)
		}
	}
	var none apiLetterPage
	s.must(200, "GET", "/api/v1/letters?q=tronçonneuse", tok, nil, &none)
	if none.Total != 0 {
		t.Errorf("search for an absent word found %d letters", none.Total)
	}

	var ent struct{ ID string }
	s.must(201, "POST", "/api/v1/entities", tok, map[string]any{"code": "ESPACES-VERTS", "name": "Espaces verts"}, &ent)
	var redirected apiLetter
	s.must(200, "POST", "/api/v1/letters/"+l.ID+"/actions/redirect", tok, map[string]any{"entity_id": ent.ID, "note": "Pour devis"}, &redirected)
	if redirected.EntityID != ent.ID || redirected.Status != "in_progress" {
		t.Fatalf("redirected letter = %+v", redirected)
	}
	var closed apiLetter
	s.must(200, "POST", "/api/v1/letters/"+l.ID+"/actions/close", tok, map[string]any{"note": "Élagage programmé"}, &closed)
	if closed.Status != "closed" {
		t.Fatalf("closed letter = %+v", closed)
	}
	s.must(409, "POST", "/api/v1/letters/"+l.ID+"/actions/close", tok, nil, nil)

	// verify runs beside the live server and counts what the API shows.
	n := verifyHistory(t, data)
	if h := s.history(tok); n != len(h) || n < 10 {
		t.Fatalf("history verify counted %d entries, the API lists %d", n, len(h))
	}
	s.stop()
	if strings.Contains(s.stderr.String(), pw) {
		t.Fatal("the admin password appears in the logs")
	}
}

// storedPasswordHash reads a user's password hash straight from SQLite.
func storedPasswordHash(t *testing.T, data, login string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "missive.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var h string
	if err := db.QueryRow(`SELECT password_hash FROM users WHERE login = ?`, login).Scan(&h); err != nil {
		t.Fatalf("read password of %s: %v", login, err)
	}
	return h
}

func TestAdminPasswordFromEnvironment(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	const pw = "mot-de-passe-choisi-42"
	s := startMissive(t, data, "MISSIVE_ADMIN_PASSWORD="+pw)
	if s.stdout.wait(regexp.MustCompile(`mot de passe pris dans MISSIVE_ADMIN_PASSWORD`), 10*time.Second) == nil {
		t.Fatalf("first start does not say the password came from the environment\nstdout: %s", s.stdout)
	}
	s.token("admin") // the server is up and bootstrapped
	s.stop()
	if out := s.stdout.String() + s.stderr.String(); strings.Contains(out, pw) {
		t.Fatalf("the password from the environment was printed:\n%s", out)
	}
	if !appliance.CheckPassword(storedPasswordHash(t, data, "admin"), pw) {
		t.Fatal("admin's password is not the one from MISSIVE_ADMIN_PASSWORD")
	}
}

func TestUserCommandsOnlineAndOffline(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)

	out := mustMissive(t, "motdepasse-agent-1\n", "user add", "--data", data, "--login", "agent1", "--role", "agent", "--password-stdin")
	if !strings.Contains(out, "Utilisateur agent1 créé (rôle agent)") || strings.Contains(out, "Mot de passe") {
		t.Fatalf("user add said %q", out)
	}
	out = mustMissive(t, "", "user add", "--data", data, "--login", "courrier1", "--role", "mailroom", "--entity", "MAIRIE")
	gen := regexp.MustCompile(`Mot de passe: (\S+)`).FindStringSubmatch(out)
	if gen == nil {
		t.Fatalf("user add without --password-stdin printed no password: %q", out)
	}
	if list := mustMissive(t, "", "user list", "--data", data); !regexp.MustCompile(`(?m)^agent1\s+agent\s+actif`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^courrier1\s+mailroom`).MatchString(list) {
		t.Fatalf("user list:\n%s", list)
	}
	if out := mustMissive(t, "nouveau-motdepasse-1\n", "user passwd", "--data", data, "--login", "agent1", "--password-stdin"); !strings.Contains(out, "Mot de passe de agent1 changé") {
		t.Fatalf("user passwd said %q", out)
	}

	r := runMissive(t, "motdepasse-agent-2\n", "user add", "--data", data, "--login", "agent2", "--role", "chef", "--password-stdin")
	if r.code != 2 || !strings.Contains(r.stderr, "rôle inconnu") {
		t.Fatalf("unknown role: exit %d, stderr %q; want 2 and « rôle inconnu »", r.code, r.stderr)
	}
	r = runMissive(t, "motdepasse-agent-1\n", "user add", "--data", data, "--login", "agent1", "--role", "agent", "--password-stdin")
	if r.code == 0 || !strings.Contains(r.stderr, "agent1 existe déjà") {
		t.Fatalf("duplicate login: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runMissive(t, "", "user passwd", "--data", data, "--login", "personne", "--password-stdin")
	if r.code == 0 || !strings.Contains(r.stderr, "mot de passe") {
		t.Fatalf("passwd without a password on stdin: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runMissive(t, "", "user add", "--data", data, "--role", "agent")
	if r.code != 2 || !strings.Contains(r.stderr, "--login est obligatoire") {
		t.Fatalf("user add without --login: exit %d, stderr %q", r.code, r.stderr)
	}
	s.stop()

	// Server stopped: the same commands open the data dir themselves.
	out = mustMissive(t, "motdepasse-elu-1\n", "user add", "--data", data, "--login", "elu1", "--role", "elected", "--password-stdin")
	if !strings.Contains(out, "Utilisateur elu1 créé (rôle elected)") {
		t.Fatalf("offline user add said %q", out)
	}
	r = runMissive(t, "motdepasse-elu-1\n", "user add", "--data", data, "--login", "elu1", "--role", "elected", "--password-stdin")
	if r.code == 0 || !strings.Contains(r.stderr, "elu1 existe déjà") {
		t.Fatalf("offline duplicate login: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runMissive(t, "motdepasse-elu-2\n", "user add", "--data", data, "--login", "elu2", "--role", "maire", "--password-stdin")
	if r.code != 2 || !strings.Contains(r.stderr, "rôle inconnu") {
		t.Fatalf("offline unknown role: exit %d, stderr %q", r.code, r.stderr)
	}
	mustMissive(t, "motdepasse-elu-9\n", "user passwd", "--data", data, "--login", "elu1", "--password-stdin")
	list := mustMissive(t, "", "user list", "--data", data)
	for _, login := range []string{"admin", "agent1", "courrier1", "elu1"} {
		if !regexp.MustCompile(`(?m)^` + login + `\s`).MatchString(list) {
			t.Errorf("offline user list lacks %s:\n%s", login, list)
		}
	}
	if strings.Contains(list, "agent2") || strings.Contains(list, "elu2") {
		t.Errorf("a refused user was created:\n%s", list)
	}
	offlineToken := strings.TrimSpace(mustMissive(t, "", "token create", "--data", data, "--user", "elu1"))

	for login, pw := range map[string]string{"agent1": "nouveau-motdepasse-1", "courrier1": gen[1], "elu1": "motdepasse-elu-9"} {
		if !appliance.CheckPassword(storedPasswordHash(t, data, login), pw) {
			t.Errorf("%s's password is not the one last set", login)
		}
	}

	// What was done offline is there when the server comes back.
	s = startMissive(t, data)
	var me struct{ Login, Role string }
	s.must(200, "GET", "/api/v1/me", offlineToken, nil, &me)
	if me.Login != "elu1" || me.Role != "elected" {
		t.Fatalf("offline token is for %+v", me)
	}
	s.must(403, "POST", "/api/v1/letters", offlineToken, map[string]any{"category": "incoming", "subject": "Élu"}, nil)
	s.stop()
}

func TestRestartAppliesNothingTwice(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	s.firstPassword()
	tok := s.token("admin")
	var ids []string
	for i := 0; i < 5; i++ {
		var l apiLetter
		s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": fmt.Sprintf("Courrier %d", i)}, &l)
		ids = append(ids, l.ID)
	}
	// Redirect and qualify change rows in place without a unique key to
	// trip on: applied twice, they would show as extra history entries.
	var ent struct{ ID string }
	s.must(201, "POST", "/api/v1/entities", tok, map[string]any{"code": "URBA", "name": "Urbanisme"}, &ent)
	s.must(200, "POST", "/api/v1/letters/"+ids[0]+"/actions/redirect", tok, map[string]any{"entity_id": ent.ID}, nil)
	s.must(200, "POST", "/api/v1/letters/"+ids[1]+"/actions/qualify", tok, map[string]any{"subject": "Courrier 1 qualifié", "priority": "high"}, nil)
	before, histBefore := s.allLetters(tok), s.history(tok)
	s.stop()
	verifiedBefore := verifyHistory(t, data)

	s = startMissive(t, data)
	// The token of the first run, the letters and the history are all there,
	// once: the raft log replayed on start was not applied again.
	after, histAfter := s.allLetters(tok), s.history(tok)
	if len(after) != 5 || len(after) != len(before) {
		t.Fatalf("%d letters after restart, %d before", len(after), len(before))
	}
	for i := range before {
		if after[i] != before[i] {
			t.Errorf("letter %d: %+v before restart, %+v after", i, before[i], after[i])
		}
	}
	if len(histAfter) != len(histBefore) {
		t.Fatalf("%d history entries after restart, %d before", len(histAfter), len(histBefore))
	}
	var l apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Après redémarrage"}, &l)
	if !strings.HasSuffix(l.Number, "/A/000006") {
		t.Fatalf("first letter after restart numbered %s, want …/A/000006", l.Number)
	}
	s.stop()
	if strings.Contains(s.stdout.String(), "Premier démarrage") {
		t.Fatalf("a restart printed a new admin password:\n%s", s.stdout)
	}
	if n := verifyHistory(t, data); n != verifiedBefore+1 {
		t.Fatalf("history verify: %d entries, want %d", n, verifiedBefore+1)
	}
}

func TestCrashWhileRegistering(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")

	var (
		mu       sync.Mutex
		acked    = map[string]string{} // id → number, for every 201
		wg       sync.WaitGroup
		progress = make(chan struct{}, 1000)
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				code, b, err := s.call("POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": fmt.Sprintf("Courrier %d", i)})
				if err != nil {
					return // the server is gone
				}
				if code != 201 {
					continue
				}
				var l apiLetter
				if json.Unmarshal(b, &l) != nil {
					continue
				}
				mu.Lock()
				acked[l.ID] = l.Number
				mu.Unlock()
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	// Kill once writes are flowing, with requests in flight.
	for i := 0; i < 30; i++ {
		select {
		case <-progress:
		case <-time.After(60 * time.Second):
			s.kill()
			t.Fatal("no letter registered within 60 s")
		}
	}
	s.kill()
	wg.Wait()

	s = startMissive(t, data)
	letters := s.allLetters(tok)
	byID := map[string]int{}
	nums := map[int]bool{}
	for _, l := range letters {
		byID[l.ID]++
		m := letterNumberRe.FindStringSubmatch(l.Number)
		if m == nil {
			t.Fatalf("letter numbered %q", l.Number)
		}
		n, _ := strconv.Atoi(m[3])
		if nums[n] {
			t.Errorf("number %s given twice", l.Number)
		}
		nums[n] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 30 {
		t.Fatalf("only %d letters acknowledged before the crash", len(acked))
	}
	for id, number := range acked {
		if byID[id] != 1 {
			t.Errorf("letter %s (%s) acknowledged with 201 is present %d times after the crash", id, number, byID[id])
		}
	}
	for n := 1; n <= len(letters); n++ {
		if !nums[n] {
			t.Errorf("numbers have a gap at %d (of %d letters)", n, len(letters))
		}
	}
	registered := 0
	for _, h := range s.history(tok) {
		if h.Kind == "letter.register" {
			registered++
		}
	}
	if registered != len(letters) {
		t.Errorf("%d letter.register history entries for %d letters", registered, len(letters))
	}
	verifyHistory(t, data)
	s.stop()
}

func TestTamperedHistoryIsNamed(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")
	var l apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Réclamation"}, &l)
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Autre"}, nil)
	s.stop()
	verifyHistory(t, data)

	db, err := sql.Open("sqlite", filepath.Join(data, "missive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seq int64
	if err := db.QueryRow(`SELECT seq FROM history WHERE letter_id = ? AND kind = 'letter.register'`, l.ID).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE history SET summary = summary || ' (classé sans suite)' WHERE seq = ?`, seq)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("tamper: %v (%d rows)", err, n)
	}
	db.Close()

	r := runMissive(t, "", "history verify", "--data", data)
	if r.code != 1 {
		t.Fatalf("history verify on a tampered history: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if want := fmt.Sprintf("entrée n° %d", seq); !strings.Contains(r.stderr, want) {
		t.Fatalf("history verify stderr %q does not name %q", r.stderr, want)
	}
}

func TestSecondServeFailsFast(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, missiveBin, "serve", "--data", data, "--listen", "127.0.0.1:0")
	cmd.Env = missiveEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatal("a second serve on a data dir in use did not exit within 20 s")
	}
	if err == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("a second serve on a data dir in use exited 0\n%s", stdout.String())
	}
	want := fmt.Sprintf("un autre Missive (PID %d) utilise déjà le dossier de données %s", s.cmd.Process.Pid, data)
	if !strings.Contains(stderr.String(), want) {
		t.Fatalf("second serve's message %q does not say plainly %q", stderr.String(), want)
	}
	if strings.Contains(stderr.String(), "socket") {
		t.Fatalf("second serve's message speaks of the control socket, which it never tried: %q", stderr.String())
	}
	if strings.Contains(stdout.String(), "Missive est prêt") {
		t.Fatal("the second serve claimed to be ready")
	}
	// The first server is unharmed, its control socket too.
	s.must(200, "GET", "/api/v1/me", tok, nil, nil)
	s.token("admin")
	s.stop()
}

func TestConfigDescribeAndTest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	described := mustMissive(t, "", "config describe")
	if !strings.Contains(described, "listen") || !strings.Contains(described, "# ") {
		t.Fatalf("config describe printed:\n%s", described)
	}
	good := filepath.Join(dir, "missive.toml")
	if err := os.WriteFile(good, []byte(described), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustMissive(t, "", "config test", "--config", good); !strings.Contains(out, "configuration valide") {
		t.Fatalf("config test on the described config said %q", out)
	}

	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("listen = \"pas-une-adresse\"\ncouleur = \"bleu\"\n"), 0o600)
	r := runMissive(t, "", "config test", "--config", bad)
	if r.code == 0 {
		t.Fatal("config test accepted an unknown key and a bad listen")
	}
	if !strings.Contains(r.stderr, `clé inconnue "couleur"`) || !strings.Contains(r.stderr, "listen: adresse invalide") {
		t.Fatalf("config test does not report both errors at once:\n%s", r.stderr)
	}
	// serve refuses the same file with the same two errors, before opening anything.
	data := newDataDir(t)
	r = runMissive(t, "", "serve", "--config", bad, "--data", data)
	if r.code == 0 || !strings.Contains(r.stderr, "couleur") || !strings.Contains(r.stderr, "listen") {
		t.Fatalf("serve with a bad config: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve with a bad config created the data dir (%v)", err)
	}

	os.WriteFile(bad, []byte("listen = \n"), 0o600)
	if r := runMissive(t, "", "config test", "--config", bad); r.code == 0 || r.stderr == "" {
		t.Fatalf("config test on broken TOML: exit %d %q", r.code, r.stderr)
	}
	if r := runMissive(t, "", "config test"); r.code != 2 {
		t.Fatalf("config test without --config: exit %d, want 2", r.code)
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	t.Parallel()
	if out := mustMissive(t, "", "version"); !strings.HasPrefix(out, "missive ") {
		t.Fatalf("version printed %q", out)
	}
	r := runMissive(t, "", "expédier")
	if r.code != 2 || !strings.Contains(r.stderr, "commande inconnue") {
		t.Fatalf("unknown command: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runMissive(t, "", "version", "en-trop")
	if r.code != 2 || !strings.Contains(r.stderr, "argument inattendu") {
		t.Fatalf("stray argument: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := mustMissive(t, "", "help"); !strings.Contains(out, "serve") || !strings.Contains(out, "history verify") {
		t.Fatalf("help lists no commands:\n%s", out)
	}
}

// TestTokenCommands: `missive token create|list|revoke` through the running
// server's control socket: a token with an expiry, listed without its
// secret, revoked by its id, dead at once.
func TestTokenCommands(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	defer s.stop()
	last := time.Now().In(domain.Paris).AddDate(1, 0, 0)
	tok := strings.TrimSpace(mustMissive(t, "", "token create", "--data", data, "--user", "admin", "--name", "import", "--expires", last.Format("2006-01-02")))
	r := runMissive(t, "", "token create", "--data", data, "--user", "admin", "--expires", last.Format("02/01/2006"))
	if r.code != 2 || !strings.Contains(r.stderr, "date invalide") {
		t.Fatalf("token create with a bad date: exit %d, stderr %q", r.code, r.stderr)
	}
	s.must(200, "GET", "/api/v1/me", tok, nil, nil)
	list := mustMissive(t, "", "token list", "--data", data, "--user", "admin")
	m := regexp.MustCompile(`(?m)^(\S+)\s+admin\s+actif\s+.*import$`).FindStringSubmatch(list)
	if m == nil || strings.Contains(list, tok) || !strings.Contains(list, last.AddDate(0, 0, 1).Format("2006-01-02")+" 00:00") {
		t.Fatalf("token list:\n%s", list)
	}
	if out := mustMissive(t, "", "token revoke", "--data", data, "--id", m[1]); !strings.Contains(out, "révoqué") {
		t.Fatalf("token revoke said %q", out)
	}
	s.must(401, "GET", "/api/v1/me", tok, nil, nil)
	if list := mustMissive(t, "", "token list", "--data", data); !regexp.MustCompile(`(?m)^` + m[1] + `\s+admin\s+révoqué`).MatchString(list) {
		t.Fatalf("token list after revoke:\n%s", list)
	}
	r = runMissive(t, "", "token revoke", "--data", data, "--id", "inconnu")
	if r.code != 3 {
		t.Fatalf("revoke an unknown token: exit %d, stderr %q", r.code, r.stderr)
	}
}

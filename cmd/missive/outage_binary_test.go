//go:build !bench

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/smtp"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance/apptest"
	"missive/appliance/store/pgtest"
)

// outageLoad is API traffic during a database outage: registrations with
// an Idempotency-Key each, and what every one of them was answered.
type outageLoad struct {
	s   *missiveServer
	tok string

	mu      sync.Mutex
	created map[string]string // key → id of its letter, for every 201
	refused map[string]int    // key → status, for 503 (retry later) and 202 (pending)
	lost    map[string]bool   // key whose request got no answer at all
	bad     []string          // any other answer: a 401 or a 500 is a lie about the outage
	noRetry int               // 503 without Retry-After
}

func outageSubject(key string) map[string]any {
	return map[string]any{"category": "incoming", "subject": "Demande " + key}
}

func (l *outageLoad) worker(w int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		key := fmt.Sprintf("w%d-%d", w, i)
		code, b, hdr, err := l.s.callHeader("POST", "/api/v1/letters", l.tok, key, outageSubject(key))
		l.mu.Lock()
		switch {
		case err != nil:
			l.lost[key] = true
		case code == 201:
			var x apiLetter
			json.Unmarshal(b, &x)
			l.created[key] = x.ID
		case code == 503 || code == 202:
			l.refused[key] = code
			if code == 503 && hdr.Get("Retry-After") == "" {
				l.noRetry++
			}
		default:
			l.bad = append(l.bad, fmt.Sprintf("%s: %d %s", key, code, b))
		}
		l.mu.Unlock()
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// prober reads /api/v1/me in a loop: during the outage its token cannot
// be checked, which is a 503, never a 401.
func (l *outageLoad) prober(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-stop:
			return
		case <-time.After(30 * time.Millisecond):
		}
		code, b, err := l.s.call("GET", "/api/v1/me", l.tok, nil)
		if err == nil && code != 200 && code != 503 {
			l.mu.Lock()
			l.bad = append(l.bad, fmt.Sprintf("GET /api/v1/me: %d %s", code, b))
			l.mu.Unlock()
		}
	}
}

func (l *outageLoad) counts() (created, refused int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n503 := 0
	for _, c := range l.refused {
		if c == 503 {
			n503++
		}
	}
	return len(l.created), n503
}

func (s *missiveServer) readyz() int {
	resp, err := apiClient.Get(s.url + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	apptest.Eventually(t, d, what, cond)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestPostgreSQLOutageUnderLoad stops PostgreSQL under API load and starts
// it again: during the outage writes get 503 with Retry-After (or 202 for
// one the log had already taken), tokens are never refused (503, not 401),
// /readyz says 503, the web login shows the French "service momentanément
// indisponible" page, WebDAV answers 503, SMTP 451, and all of it is
// logged; afterwards every 201 is there once, and every refused request
// sent again with its key makes its letter once.
func TestPostgreSQLOutageUnderLoad(t *testing.T) {
	t.Parallel()
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	dsn, err := pg.NewDatabase("outage")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := ln.Addr().String()
	ln.Close()
	data := newDataDir(t)
	s := startMissiveWith(t, data, []string{"--db", dsn, "--smtp", smtpAddr})
	password := s.firstPassword()
	tok := strings.TrimSpace(mustMissive(t, "", "token", "create", "--data", data, "--db", dsn, "--user", "admin"))
	mustMissive(t, "", "mail", "address", "add", "--data", data, "--db", dsn, "mairie@ville.test")

	// What a browser and a WebDAV client hold before the outage: a login
	// form, credentials the share has seen.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(s.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on the login page:\n%s", page)
	}
	davStatus := func() (int, string) {
		req, _ := http.NewRequest("PROPFIND", s.url+"/dav/default/", nil)
		req.SetBasicAuth("admin", password)
		req.Header.Set("Depth", "1")
		resp, err := apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	if code, _ := davStatus(); code != 207 {
		t.Fatalf("PROPFIND before the outage: %d", code)
	}

	l := &outageLoad{s: s, tok: tok, created: map[string]string{}, refused: map[string]int{}, lost: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go l.worker(w, stop, &wg)
	}
	wg.Add(1)
	go l.prober(stop, &wg)
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()
	waitUntil(t, "20 letters before the outage", 60*time.Second, func() bool { c, _ := l.counts(); return c >= 20 })

	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "/readyz 503 during the outage", 30*time.Second, func() bool { return s.readyz() == 503 })
	waitUntil(t, "ten 503 answers during the outage", 30*time.Second, func() bool { _, r := l.counts(); return r >= 10 })

	// The web login: the password cannot be checked, and the page says so.
	form := url.Values{"csrf": {string(m[1])}, "login": {"admin"}, "password": {password}, "next": {"/"}}
	resp, err = browser.PostForm(s.url+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(page), "Service momentanément indisponible") {
		t.Errorf("web login during the outage: %d Retry-After=%q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), page)
	}
	if code, ra := davStatus(); code != 503 || ra == "" {
		t.Errorf("PROPFIND during the outage: %d Retry-After=%q, want 503 with Retry-After", code, ra)
	}
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.Hello("client.test")
	if err := c.Mail("jeanne@exemple.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("mairie@ville.test"); err == nil || !strings.HasPrefix(err.Error(), "451") {
		t.Errorf("RCPT during the outage: %v, want 451", err)
	}
	c.Close()

	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "/readyz 200 once PostgreSQL is back", 60*time.Second, func() bool { return s.readyz() == 200 })
	before, _ := l.counts()
	waitUntil(t, "letters again after the outage", 60*time.Second, func() bool { c, _ := l.counts(); return c >= before+10 })
	stopLoad()

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bad) > 0 {
		t.Errorf("%d answers that are neither 201, 202 nor 503:\n%s", len(l.bad), strings.Join(l.bad[:min(len(l.bad), 10)], "\n"))
	}
	if l.noRetry > 0 {
		t.Errorf("%d answers 503 without Retry-After", l.noRetry)
	}
	// Every request not answered 201 is sent again with its key: each
	// makes its letter once, a pending one (202) is found applied.
	retried := 0
	for key, code := range l.refused {
		st, b, hdr, err := s.callHeader("POST", "/api/v1/letters", tok, key, outageSubject(key))
		if err != nil || st != 201 {
			t.Fatalf("%s (answered %d during the outage) sent again: %d %s %v", key, code, st, b, err)
		}
		if code == 202 && hdr.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s was pending (202), sent again it was not found applied", key)
		}
		retried++
	}
	for key := range l.lost {
		if st, b, _, err := s.callHeader("POST", "/api/v1/letters", tok, key, outageSubject(key)); err != nil || st != 201 {
			t.Fatalf("%s (no answer) sent again: %d %s %v", key, st, b, err)
		}
		retried++
	}
	letters := s.allLetters(tok)
	bySubject := map[string]int{}
	byID := map[string]int{}
	var nums []int
	for _, x := range letters {
		bySubject[x.Subject]++
		byID[x.ID]++
		n, _ := strconv.Atoi(x.Number[len(x.Number)-6:])
		nums = append(nums, n)
	}
	for key, id := range l.created {
		if byID[id] != 1 || bySubject["Demande "+key] != 1 {
			t.Errorf("%s answered 201 (%s): letter present %d times, subject %d times", key, id, byID[id], bySubject["Demande "+key])
		}
	}
	for key := range l.refused {
		if n := bySubject["Demande "+key]; n != 1 {
			t.Errorf("%s refused during the outage then sent again: %d letters", key, n)
		}
	}
	if want := len(l.created) + retried; len(letters) != want {
		t.Errorf("%d letters, want %d (%d answered 201, %d sent again)", len(letters), want, len(l.created), retried)
	}
	sort.Ints(nums)
	for i, n := range nums {
		if n != i+1 {
			t.Fatalf("registration numbers %v…: a gap or a double at %d", nums[:min(len(nums), 20)], i+1)
		}
	}
	pending := 0
	for _, code := range l.refused {
		if code == 202 {
			pending++
		}
	}
	t.Logf("%d letters: %d answered 201, %d answered 503 and %d answered 202 then sent again, %d without an answer",
		len(letters), len(l.created), len(l.refused)-pending, pending, len(l.lost))

	logs := s.stderr.String()
	for _, want := range []string{`msg="api request failed"`, `msg="not ready"`, `msg="web: login not checked: store unavailable"`,
		`msg="webdav: login not checked: store unavailable"`, `msg="smtp: look up recipient"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %s in the server's log", want)
		}
	}
	s.stop()
	if r := runMissive(t, "", "history", "verify", "--data", data, "--db", dsn); r.code != 0 {
		t.Fatalf("history verify: %s%s", r.stdout, r.stderr)
	}
}

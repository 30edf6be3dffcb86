package mailbridge

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/mailbridge/internal/peers"
)

const corpusDir = "testdata/corpus"

// corpus reads a file of the shared mail corpus.
func corpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatalf("corpus %s: %v (the shared corpus, copied from ../shared/testdata/mail into mailbridge/testdata/corpus)", name, err)
	}
	return b
}

type harness struct {
	t    testing.TB
	env  *apptest.Env
	svc  *appliance.Service
	prop *flakyProposer
	b    *Bridge
	smtp *SMTPServer
	sink *peers.Sink
	ctx  context.Context
	// logs holds what the bridge logged.
	logs *logBuffer
}

// logBuffer collects log lines written from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fastOptions keep the tests quick: short polls and retries.
func fastOptions() Options {
	return Options{RetryBase: 200 * time.Millisecond, RetryMax: time.Second, SendInterval: 200 * time.Millisecond,
		PollInterval: 2 * time.Second, ConfigInterval: 200 * time.Millisecond, ReconnectMax: time.Second, Hostname: "missive.test"}
}

// newHarness bootstraps an appliance on dsn ("" = SQLite) with the address
// mairie@ville.test, a relay on smtp-sink, a running bridge and its SMTP
// listener.
func newHarness(t testing.TB, dsn string, opt Options) *harness {
	t.Helper()
	return newHarnessAt(t, dsn, opt, nil)
}

// newHarnessAt is newHarness with the service's clock set before the
// bridge starts: now, or the real clock when nil.
func newHarnessAt(t testing.TB, dsn string, opt Options, now func() time.Time) *harness {
	t.Helper()
	env := apptest.New(t, dsn)
	ctx := context.Background()
	h := &harness{t: t, env: env, ctx: ctx}
	// The bridge gets a service whose proposer can be made to fail, to show
	// that nothing is acknowledged or moved that was not committed.
	idx, err := env.Store.AppliedIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.Open(env.Dir)
	if err != nil {
		t.Fatal(err)
	}
	h.prop = &flakyProposer{index: idx, a: appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)}
	h.svc = appliance.NewService(env.Store, blobs, h.prop, apptest.Logger())
	if now != nil {
		h.svc.Now = now
	}
	h.svc.Secrets = env.Svc.Secrets
	if _, err := h.svc.AddMailAddress(ctx, env.Admin, appliance.MailAddressInput{Address: "mairie@ville.test"}); err != nil {
		t.Fatal(err)
	}
	h.sink = peers.SMTPSink(t)
	host, port := splitHostPort(t, h.sink.Addr)
	if _, err := h.svc.SetMailRelay(ctx, env.Admin, appliance.MailRelayInput{Host: host, Port: port, Security: "plain", FromAddress: "mairie@ville.test", FromName: "Mairie de Test"}); err != nil {
		t.Fatal(err)
	}
	h.logs = &logBuffer{}
	h.b = New(h.svc, slog.New(slog.NewTextHandler(h.logs, nil)), opt)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.b.Run(rctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	s, err := h.b.ListenSMTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h.smtp = s
	return h
}

func splitHostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// send hands raw to Missive's SMTP listener with swaks; it returns the
// transcript and swaks's exit status.
func (h *harness) send(from string, to []string, raw []byte) (string, int) {
	h.t.Helper()
	f := filepath.Join(h.t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, raw, 0o644); err != nil {
		h.t.Fatal(err)
	}
	args := []string{"--from", from, "--data", "@" + f, "--helo", "client.exemple.test"}
	for _, r := range to {
		args = append(args, "--to", r)
	}
	return peers.Swaks(h.t, h.smtp.Addr().String(), args...)
}

// mustSend sends and fails unless the message got a 250.
func (h *harness) mustSend(from string, raw []byte) {
	h.t.Helper()
	out, code := h.send(from, []string{"mairie@ville.test"}, raw)
	if code != 0 {
		h.t.Fatalf("swaks exit %d:\n%s", code, out)
	}
}

// letters lists every letter of the default tenant.
func (h *harness) letters() []domain.Letter {
	h.t.Helper()
	ls, _, err := h.svc.Letters(h.ctx, h.env.Admin, store.LetterFilter{Limit: 500, Body: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return ls
}

func (h *harness) letterBySubject(sub string) *domain.Letter {
	h.t.Helper()
	for _, l := range h.letters() {
		if strings.Contains(l.Subject, sub) {
			return &l
		}
	}
	return nil
}

func (h *harness) messages(letterID string) []appliance.MailMessage {
	h.t.Helper()
	ms, err := h.svc.LetterMessages(h.ctx, h.env.Admin, letterID)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitPasses waits until counter has moved n past its value now: the
// sender has looked at the outbox n more times, or a folder has been read
// n more times. What would have happened by then has happened.
func waitPasses(t testing.TB, what string, counter interface{ Load() uint64 }, n uint64) {
	t.Helper()
	want := counter.Load() + n
	waitFor(t, what, 20*time.Second, func() bool { return counter.Load() >= want })
}

// sunk returns the messages the relay received that contain s.
func (h *harness) sunk(s string) [][]byte {
	var out [][]byte
	for _, m := range h.sink.Messages(h.t) {
		if bytes.Contains(m, []byte(s)) {
			out = append(out, m)
		}
	}
	return out
}

// flakyProposer applies commands in order like apptest's, and fails every
// proposal while fail is set, as a cluster without a leader would.
type flakyProposer struct {
	mu      sync.Mutex
	index   uint64
	a       *appliance.Applier
	fail    atomic.Bool
	refused atomic.Int64
}

func (p *flakyProposer) Propose(_ context.Context, cmd []byte) (any, error) {
	if p.fail.Load() {
		p.refused.Add(1)
		return nil, appliance.ErrUnavailable
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.index++
	return p.a.Apply(p.index, cmd), nil
}

// waitSent waits until the outbox holds nothing queued.
func (h *harness) waitSent() {
	h.t.Helper()
	waitFor(h.t, "outbox drained", 10*time.Second, func() bool {
		next, err := h.env.Store.Reader().OutboxNext(h.ctx)
		return err == nil && next == ""
	})
}

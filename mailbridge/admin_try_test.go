package mailbridge

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/web"
	"missive/mailbridge/internal/peers"
)

// lockedBuffer collects the log lines of the web UI and the API.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tried is the outcome of a test of typed values, shown beside the form.
func tried(t testing.TB, form, page string) (kind, text string) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<div class="flash (ok|error)" id="` + regexp.QuoteMeta(form) + `\.test-result"[^>]*>(.*?)</div>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no test outcome beside the %s form:\n%.4000s", form, page)
	}
	t.Logf("beside %s (%s): %s", form, m[1], m[2])
	return m[1], m[2]
}

// TestAdminMailTryTypedSettingsAgainstDovecot: "Tester la connexion" in
// the mailbox and relay forms tries the values typed, against a real
// Dovecot and Missive's own SMTP listener, and saves nothing: a wrong
// port or password typed fails while the saved settings are good (and
// stay as they were), an empty password stands for the stored one of the
// same user on the same host, a mailbox not saved yet can be tried, the
// typed values come back in the form and the typed password nowhere.
// The API does the same when its test routes are given a body.
func TestAdminMailTryTypedSettingsAgainstDovecot(t *testing.T) {
	t.Parallel()
	dov := peers.Dovecot(t)
	dov.AddUser(t, "courrier", "mdp-imap-1")
	dov.AddUser(t, "accueil", "mdp-accueil-2")

	srvTLS, pool := testCert(t)
	opt := fastOptions()
	opt.TLS, opt.RelayTLS = srvTLS, &tls.Config{RootCAs: pool}
	h := newHarness(t, "", opt)
	box, err := appliance.OpenSecretBox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.svc.Secrets = box

	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	a := api.New(h.svc, logger)
	a.Mail = h.b
	a.Register(mux)
	web.New(h.svc, logger, web.Options{Mail: h.b}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	c := newClient(t, srv.URL)
	c.login("admin", apptest.AdminPassword)
	c.do("GET", "/admin/mail", nil)
	port := strconv.Itoa(dov.Port)
	closed := strconv.Itoa(peers.FreePort(t))
	mbox := func(user, port, password string) url.Values {
		return url.Values{"host": {"127.0.0.1"}, "port": {port}, "security": {"plain"}, "auth": {"password"},
			"username": {user}, "password": {password}, "folder": {"INBOX"}, "done_folder": {"Traités"}}
	}
	c.post("/admin/mail/mailboxes", mbox("courrier", port, "mdp-imap-1"))
	saved := func() []domain.Mailbox {
		ms, err := h.env.Store.Reader().Mailboxes(h.ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	before := saved()
	if len(before) != 1 {
		t.Fatalf("mailboxes %+v", before)
	}
	good := before[0]
	// try posts typed values and returns the page shown again.
	try := func(path string, form url.Values, want int) string {
		t.Helper()
		code, page := c.do("POST", path, form)
		if code != want {
			t.Fatalf("POST %s: %d, want %d\n%.3000s", path, code, want, page)
		}
		for _, pw := range []string{"mdp-imap-1", "mdp-accueil-2", "mauvais-mdp", apptest.AdminPassword, "pas-le-bon"} {
			if strings.Contains(page, pw) {
				t.Fatalf("POST %s: the page shows a password back", path)
			}
		}
		return page
	}

	// Another port, password left empty: the stored password stays with
	// its server (same host, port and security), so one must be typed.
	page := try("/admin/mail/mailboxes/test", mbox("courrier", closed, ""), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="mbox.password-err"`) {
		t.Fatalf("another port, stored password:\n%.4000s", page)
	}
	// A wrong port typed for the saved mailbox, with a password.
	page = try("/admin/mail/mailboxes/test", mbox("courrier", closed, "pas-le-bon"), 200)
	if kind, text := tried(t, "mbox", page); kind != "error" || !strings.Contains(text, "Impossible de joindre 127.0.0.1:"+closed) {
		t.Fatalf("typed wrong port: %s %q", kind, text)
	}
	if !strings.Contains(page, `id="mbox.port" name="port"`) || !strings.Contains(page, `value="`+closed+`"`) || !strings.Contains(page, "<details open>") {
		t.Fatalf("typed values not kept in the open form:\n%.4000s", page)
	}
	// A wrong password typed, on the right port.
	page = try("/admin/mail/mailboxes/test", mbox("courrier", port, "mauvais-mdp"), 200)
	if kind, text := tried(t, "mbox", page); kind != "error" || !strings.Contains(text, "refuse l'identifiant « courrier »") {
		t.Fatalf("typed wrong password: %s %q", kind, text)
	}
	// The same through the saved mailbox's own route.
	page = try("/admin/mail/mailboxes/"+good.ID+"/test", mbox("courrier", closed, "pas-le-bon"), 200)
	if kind, text := tried(t, "mbox", page); kind != "error" || !strings.Contains(text, "Impossible de joindre") {
		t.Fatalf("typed wrong port for mailbox %s: %s %q", good.ID, kind, text)
	}
	// The right values, password left empty: the stored one is used.
	page = try("/admin/mail/mailboxes/test", mbox("courrier", port, ""), 200)
	if kind, text := tried(t, "mbox", page); kind != "ok" || !strings.Contains(text, "Connexion réussie") || !strings.Contains(text, "identifiant courrier accepté") {
		t.Fatalf("typed good values, stored password: %s %q", kind, text)
	}
	// A mailbox not saved yet, with its password; without one, the field
	// says a password is needed.
	page = try("/admin/mail/mailboxes/test", mbox("accueil", port, "mdp-accueil-2"), 200)
	if kind, text := tried(t, "mbox", page); kind != "ok" || !strings.Contains(text, "identifiant accueil accepté") || !strings.Contains(text, "« INBOX » ouvert") {
		t.Fatalf("unsaved mailbox: %s %q", kind, text)
	}
	if !strings.Contains(page, `value="accueil"`) {
		t.Fatalf("typed user not kept:\n%.4000s", page)
	}
	page = try("/admin/mail/mailboxes/test", mbox("accueil", port, ""), http.StatusUnprocessableEntity)
	if !strings.Contains(page, `id="mbox.password-err"`) {
		t.Fatalf("unsaved mailbox without a password:\n%.4000s", page)
	}
	// The saved mailbox is as it was, still the only one, and still good.
	if after := saved(); len(after) != 1 || after[0] != good {
		t.Fatalf("saved mailboxes changed by tests:\n%+v\n%+v", before, after)
	}
	if kind, text := flash(t, c.post("/admin/mail/mailboxes/"+good.ID+"/test", url.Values{})); kind != "ok" {
		t.Fatalf("saved mailbox after the typed tests: %s %q", kind, text)
	}

	// The relay: Missive's own listener, STARTTLS and AUTH as admin.
	host, sport := splitHostPort(t, h.smtp.Addr().String())
	relay := func(port, password string) url.Values {
		return url.Values{"host": {host}, "port": {port}, "security": {"starttls"}, "username": {"admin"},
			"password": {password}, "from_address": {"mairie@ville.test"}, "from_name": {"Mairie"}}
	}
	c.post("/admin/mail/relay", relay(strconv.Itoa(sport), apptest.AdminPassword))
	savedRelay, err := h.env.Store.Reader().MailRelay(h.ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	page = try("/admin/mail/relay/test", relay(strconv.Itoa(sport), "pas-le-bon"), 200)
	if kind, text := tried(t, "relay", page); kind != "error" || !strings.Contains(text, "refuse l'identifiant « admin »") {
		t.Fatalf("relay, typed wrong password: %s %q", kind, text)
	}
	page = try("/admin/mail/relay/test", relay(closed, ""), http.StatusUnprocessableEntity)
	if !strings.Contains(page, "le mot de passe enregistré ne sert qu") {
		t.Fatalf("relay on another port, stored password:\n%.4000s", page)
	}
	page = try("/admin/mail/relay/test", relay(closed, "pas-le-bon"), 200)
	if kind, text := tried(t, "relay", page); kind != "error" || !strings.Contains(text, "Impossible de joindre") {
		t.Fatalf("relay, typed wrong port: %s %q", kind, text)
	}
	if !strings.Contains(page, `value="`+closed+`"`) {
		t.Fatalf("typed relay port not kept:\n%.4000s", page)
	}
	page = try("/admin/mail/relay/test", relay(strconv.Itoa(sport), ""), 200)
	if kind, text := tried(t, "relay", page); kind != "ok" || !strings.Contains(text, "authentification acceptée pour admin") {
		t.Fatalf("relay, typed good values: %s %q", kind, text)
	}
	if rl, err := h.env.Store.Reader().MailRelay(h.ctx, "default"); err != nil || *rl != *savedRelay {
		t.Fatalf("relay changed by tests: %+v, was %+v (%v)", rl, savedRelay, err)
	}
	if kind, text := flash(t, c.post("/admin/mail/relay/test", url.Values{})); kind != "ok" {
		t.Fatalf("saved relay after the typed tests: %s %q", kind, text)
	}

	// The API: a body is tried, no body tests what is saved.
	tok, err := h.svc.CreateToken(h.ctx, h.env.Admin, h.env.Admin.ID(), "test")
	if err != nil {
		t.Fatal(err)
	}
	call := func(path string, body any) appliance.MailTestResult {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest("POST", srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res appliance.MailTestResult
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, err)
		}
		t.Logf("POST %s: %+v", path, res)
		return res
	}
	dport, _ := strconv.Atoi(port)
	cport, _ := strconv.Atoi(closed)
	in := appliance.MailboxInput{Host: "127.0.0.1", Port: cport, Security: "plain", Username: "courrier", Password: "pas-le-bon", Folder: "INBOX", DoneFolder: "Traités"}
	if res := call("/api/v1/mail/mailboxes/"+good.ID+"/test", in); res.OK || !strings.Contains(res.Message, "Impossible de joindre") {
		t.Fatalf("API, typed wrong port: %+v", res)
	}
	in.Port, in.Password = dport, "mauvais-mdp"
	if res := call("/api/v1/mail/mailboxes/"+good.ID+"/test", in); res.OK || !strings.Contains(res.Message, "refuse l'identifiant") {
		t.Fatalf("API, typed wrong password: %+v", res)
	}
	if res := call("/api/v1/mail/mailboxes/"+good.ID+"/test", nil); !res.OK {
		t.Fatalf("API, saved mailbox: %+v", res)
	}
	in.Username, in.Password = "accueil", "mdp-accueil-2"
	if res := call("/api/v1/mail/mailboxes/test", in); !res.OK {
		t.Fatalf("API, unsaved mailbox: %+v", res)
	}
	rin := appliance.MailRelayInput{Host: host, Port: sport, Security: "starttls", Username: "admin", Password: "pas-le-bon"}
	if res := call("/api/v1/mail/relay/test", rin); res.OK || !strings.Contains(res.Message, "refuse l'identifiant « admin »") {
		t.Fatalf("API, relay with a wrong password: %+v", res)
	}
	if res := call("/api/v1/mail/relay/test", nil); !res.OK {
		t.Fatalf("API, saved relay: %+v", res)
	}
	if after := saved(); len(after) != 1 || after[0] != good {
		t.Fatalf("saved mailboxes changed by API tests: %+v", after)
	}
	if rl, _ := h.env.Store.Reader().MailRelay(h.ctx, "default"); *rl != *savedRelay {
		t.Fatalf("relay changed by API tests: %+v", rl)
	}
	for _, pw := range []string{"mauvais-mdp", "mdp-accueil-2", "pas-le-bon"} {
		if strings.Contains(logs.String(), pw) {
			t.Fatalf("a typed password is in the log:\n%s", logs.String())
		}
	}
}

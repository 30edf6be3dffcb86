package mailbridge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/web"
	"missive/mailbridge/internal/peers"
)

// testCert makes a self-signed certificate for 127.0.0.1 and missive.test,
// as the appliance's own certificate would be, and a pool that trusts it.
func testCert(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "missive.test"}, DNSNames: []string{"missive.test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool
}

// client is a browser for the web UI: cookies, no redirects followed,
// the CSRF token of the last page read.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newClient(t testing.TB, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do returns the status and the page text, HTML entities decoded.
func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		if form.Get("csrf") == "" {
			form.Set("csrf", c.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		c.csrf = html.UnescapeString(string(m[1]))
	}
	return resp.StatusCode, html.UnescapeString(string(b))
}

func (c *client) login(login, password string) {
	c.t.Helper()
	c.do("GET", "/login", nil)
	if code, body := c.do("POST", "/login", url.Values{"login": {login}, "password": {password}}); code != http.StatusSeeOther {
		c.t.Fatalf("login %s: %d\n%.2000s", login, code, body)
	}
	c.do("GET", "/", nil)
}

// post sends a form and, after the redirect, returns the page it leads
// to, where the flash message shows.
func (c *client) post(path string, form url.Values) string {
	c.t.Helper()
	code, body := c.do("POST", path, form)
	if code != http.StatusSeeOther {
		c.t.Fatalf("POST %s: %d, want 303\n%.3000s", path, code, body)
	}
	code, body = c.do("GET", "/admin/mail", nil)
	if code != 200 {
		c.t.Fatalf("GET /admin/mail: %d", code)
	}
	return body
}

// flash is the message shown at the top of a page.
var flashRe = regexp.MustCompile(`(?s)<div class="flash (ok|error)"[^>]*>(.*?)</div>`)

func flash(t testing.TB, page string) (kind, text string) {
	t.Helper()
	m := flashRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no message on the page:\n%.3000s", page)
	}
	t.Logf("message shown (%s): %s", m[1], m[2])
	return m[1], m[2]
}

// TestAdminMailPagesAgainstDovecot drives the administrator's mail page
// as a browser: a mailbox on a real Dovecot is added and "Tester la
// connexion" logs in and opens its folder; a wrong password and a missing
// folder are explained; the relay test goes through STARTTLS and AUTH on
// Missive's own SMTP listener; passwords are sealed in the store and in
// the history; an agent sees none of it.
func TestAdminMailPagesAgainstDovecot(t *testing.T) {
	t.Parallel()
	dov := peers.Dovecot(t)
	dov.AddUser(t, "courrier", "mdp-imap-1")
	dov.Append(t, "courrier", "mdp-imap-1", "INBOX", []byte("From: a@exemple.test\r\nTo: mairie@ville.test\r\nSubject: x\r\nMessage-ID: <adm1@exemple.test>\r\n\r\nx\r\n"))

	srvTLS, pool := testCert(t)
	opt := fastOptions()
	opt.TLS, opt.RelayTLS = srvTLS, &tls.Config{RootCAs: pool}
	// No poller: the pages' tests must find the mailbox as it is, not as
	// a poller that picked it up meanwhile left it (done folder made).
	opt.ConfigInterval = time.Hour
	h := newHarness(t, "", opt)
	box, err := appliance.OpenSecretBox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.svc.Secrets = box

	mux := http.NewServeMux()
	a := api.New(h.svc, apptest.Logger())
	a.Mail = h.b
	a.Register(mux)
	web.New(h.svc, apptest.Logger(), web.Options{Mail: h.b}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	c := newClient(t, srv.URL)
	c.login("admin", apptest.AdminPassword)
	if code, body := c.do("GET", "/admin/mail", nil); code != 200 || !strings.Contains(body, "Boîtes relevées") {
		t.Fatalf("admin mail page: %d\n%.2000s", code, body)
	}
	addMailbox := func(password, folder string) string {
		page := c.post("/admin/mail/mailboxes", url.Values{"host": {"127.0.0.1"}, "port": {strconv.Itoa(dov.Port)}, "security": {"plain"}, "auth": {"password"},
			"username": {"courrier"}, "password": {password}, "folder": {folder}, "done_folder": {"Traités"}})
		ms, err := h.env.Store.Reader().Mailboxes(h.ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Folder == folder {
				if !strings.Contains(page, "/admin/mail/mailboxes/"+m.ID+"/test") {
					t.Fatalf("no test button for mailbox %s:\n%.3000s", m.ID, page)
				}
				return m.ID
			}
		}
		t.Fatalf("mailbox %s not saved:\n%.3000s", folder, page)
		return ""
	}

	good := addMailbox("mdp-imap-1", "INBOX")
	kind, text := flash(t, c.post("/admin/mail/mailboxes/"+good+"/test", url.Values{}))
	if kind != "ok" || !strings.Contains(text, "Connexion réussie") || !strings.Contains(text, "« INBOX » ouvert (1 message(s)") ||
		!strings.Contains(text, "« Traités » n'existe pas encore") {
		t.Fatalf("test of a good mailbox: %s %q", kind, text)
	}

	// The password is sealed: not in the row, not in the history.
	ms, _ := h.env.Store.Reader().Mailboxes(h.ctx, "default")
	if len(ms) != 1 || !appliance.IsSealed(ms[0].Secret) || strings.Contains(ms[0].Secret, "mdp-imap") {
		t.Fatalf("mailbox secret stored as %q", ms[0].Secret)
	}
	h.env.Store.Reader().EachHistory(h.ctx, func(e *domain.HistoryEntry) bool {
		if strings.Contains(string(e.Payload), "mdp-imap") || strings.Contains(string(e.Payload), "sealed:") {
			t.Errorf("history %s holds the password: %s", e.Kind, e.Payload)
		}
		return true
	})

	// A Dovecot folder that does not exist, then a wrong password (a
	// mailbox is unique per folder, so the bad one reads another folder).
	missing := addMailbox("mdp-imap-1", "Courrier-entrant")
	if kind, text := flash(t, c.post("/admin/mail/mailboxes/"+missing+"/test", url.Values{})); kind != "error" || !strings.Contains(text, "« Courrier-entrant » ne s'ouvre pas") {
		t.Fatalf("test of a missing folder: %s %q", kind, text)
	}
	bad := addMailbox("mauvais", "Archives")
	if kind, text := flash(t, c.post("/admin/mail/mailboxes/"+bad+"/test", url.Values{})); kind != "error" || !strings.Contains(text, "refuse l'identifiant « courrier »") {
		t.Fatalf("test of a wrong password: %s %q", kind, text)
	}
	// Nothing listens there: the message says so.
	page := c.post("/admin/mail/mailboxes", url.Values{"host": {"127.0.0.1"}, "port": {strconv.Itoa(peers.FreePort(t))}, "security": {"tls"},
		"username": {"courrier"}, "password": {"x"}, "folder": {"INBOX"}, "done_folder": {"Fait"}})
	_ = page
	ms, _ = h.env.Store.Reader().Mailboxes(h.ctx, "default")
	dead := ms[len(ms)-1].ID
	if kind, text := flash(t, c.post("/admin/mail/mailboxes/"+dead+"/test", url.Values{})); kind != "error" || !strings.Contains(text, "Impossible de joindre") {
		t.Fatalf("test of a closed port: %s %q", kind, text)
	}

	// The relay: Missive's own listener, STARTTLS with its certificate,
	// AUTH as a Missive user.
	host, port := splitHostPort(t, h.smtp.Addr().String())
	setRelay := func(password string) {
		c.post("/admin/mail/relay", url.Values{"host": {host}, "port": {strconv.Itoa(port)}, "security": {"starttls"}, "username": {"admin"},
			"password": {password}, "from_address": {"mairie@ville.test"}, "from_name": {"Mairie"}})
	}
	setRelay(apptest.AdminPassword)
	kind, text = flash(t, c.post("/admin/mail/relay/test", url.Values{}))
	if kind != "ok" || !strings.Contains(text, "STARTTLS établi (TLS 1.3)") || !strings.Contains(text, "authentification acceptée pour admin") {
		t.Fatalf("relay test: %s %q", kind, text)
	}
	// Saving the form again without a password keeps the stored one.
	setRelay("")
	if kind, text := flash(t, c.post("/admin/mail/relay/test", url.Values{})); kind != "ok" {
		t.Fatalf("relay test after saving without a password: %s %q", kind, text)
	}
	rl, _ := h.env.Store.Reader().MailRelay(h.ctx, "default")
	if !appliance.IsSealed(rl.Secret) {
		t.Fatalf("relay secret stored as %q", rl.Secret)
	}
	setRelay("pas-le-bon")
	if kind, text := flash(t, c.post("/admin/mail/relay/test", url.Values{})); kind != "error" || !strings.Contains(text, "refuse l'identifiant « admin »") {
		t.Fatalf("relay test with a wrong password: %s %q", kind, text)
	}

	// The same test through the API.
	tok, err := h.svc.CreateToken(h.ctx, h.env.Admin, h.env.Admin.ID(), "test")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/mail/mailboxes/"+good+"/test", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok": true`) {
		t.Fatalf("API mailbox test: %d %s", resp.StatusCode, b)
	}

	// An agent sees none of it.
	if _, err := h.svc.CreateUser(h.ctx, h.env.Admin, appliance.UserInput{Login: "agent", Name: "Agent", Role: domain.RoleAgent, Password: "motdepasse-agent-1"}); err != nil {
		t.Fatal(err)
	}
	ag := newClient(t, srv.URL)
	ag.login("agent", "motdepasse-agent-1")
	if code, _ := ag.do("GET", "/admin/mail", nil); code != http.StatusForbidden {
		t.Fatalf("agent on the admin mail page: %d", code)
	}
	if code, _ := ag.do("POST", "/admin/mail/mailboxes/"+good+"/test", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("agent testing a mailbox: %d", code)
	}
	// Without the CSRF token, nothing happens.
	if code, _ := c.do("POST", "/admin/mail/mailboxes/"+good+"/delete", url.Values{"csrf": {"faux"}}); code != http.StatusForbidden {
		t.Fatalf("delete without CSRF: %d", code)
	}
	if kind, _ := flash(t, c.post("/admin/mail/mailboxes/"+good+"/delete", url.Values{})); kind != "ok" {
		t.Fatal("delete failed")
	}
}

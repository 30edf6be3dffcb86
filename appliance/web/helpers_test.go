package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store/pgtest"
	"missive/appliance/web"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// site is a running web UI over a bootstrapped appliance with a small
// town's organisation: two services, an agent in each, a mail room clerk.
type site struct {
	*apptest.Env
	URL     string
	Clock   *apptest.Clock
	Voirie  *domain.Entity
	Urba    *domain.Entity
	Doctype *domain.Doctype
	// Logins, all with password agentPassword.
	Agent, Other, Clerk *domain.User
}

const agentPassword = "motdepasse-agent-1"

func newSite(t testing.TB, dsn string) *site {
	t.Helper()
	env := apptest.New(t, dsn)
	clk := apptest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, domain.Paris))
	env.Svc.Now = clk.Now
	mux := http.NewServeMux()
	api.New(env.Svc, apptest.Logger()).Register(mux)
	web.New(env.Svc, apptest.Logger(), web.Options{Now: clk.Now}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &site{Env: env, URL: srv.URL, Clock: clk}
	ctx := context.Background()
	var err error
	root := rootEntity(t, env)
	if s.Voirie, err = env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{ParentID: root, Code: "VOIRIE", Name: "Voirie"}); err != nil {
		t.Fatal(err)
	}
	if s.Urba, err = env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{ParentID: root, Code: "URBA", Name: "Urbanisme"}); err != nil {
		t.Fatal(err)
	}
	if s.Doctype, err = env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "ELAGAGE", Label: "Demande d'élagage", DelayDays: 10}); err != nil {
		t.Fatal(err)
	}
	mk := func(login, name string, role domain.Role, ent string) *domain.User {
		u, err := env.Svc.CreateUser(ctx, env.Admin, appliance.UserInput{Login: login, Name: name, Role: role, Password: agentPassword,
			Entities: []domain.Membership{{EntityID: ent}}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.Agent = mk("julien", "Julien Morel", domain.RoleAgent, s.Voirie.ID)
	s.Other = mk("celine", "Céline Marchal", domain.RoleAgent, s.Urba.ID)
	s.Clerk = mk("martine", "Martine Lebrun", domain.RoleMailroom, root)
	return s
}

func rootEntity(t testing.TB, env *apptest.Env) string {
	es, err := env.Svc.Entities(context.Background(), env.Admin)
	if err != nil || len(es) == 0 {
		t.Fatalf("entities: %v", err)
	}
	return es[0].ID
}

// letter registers a letter on the Service side, routed to Voirie.
func (s *site) letter(t testing.TB, subject string) *domain.Letter {
	t.Helper()
	l, err := s.Svc.RegisterLetter(context.Background(), s.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: subject,
		EntityID: s.Voirie.ID, DoctypeID: s.Doctype.ID, Sender: &appliance.ContactInput{Name: "Jeanne Dupont", Email: "jeanne@example.org"}},
		appliance.Upload{Name: "scan.pdf", Role: domain.DocMain, Body: bytes.NewReader(tinyPDF)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// browser is an HTTP client with cookies that does not follow redirects,
// so that tests see them.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func (s *site) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Code     int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := &page{Code: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
	if m := csrfRe.FindStringSubmatch(p.Body); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return p
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) *page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends a form as a browser does from one of our pages: same Origin,
// and the CSRF token of the last page read unless the form has one.
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

// postMultipart sends a form with one file.
func (b *browser) postMultipart(path string, form url.Values, fileName string, file []byte) *page {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

func (b *browser) login(login, pw string) *page {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"login": {login}, "password": {pw}})
	if p.Code != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d, want 303\n%s", login, p.Code, p.Body)
	}
	// The session's CSRF token, as the first page after login gives it.
	b.get("/")
	return p
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// tinyPDF is a valid one-page PDF.
var tinyPDF = []byte(`%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 58>>stream
BT /F1 24 Tf 72 760 Td (Demande d'elagage - scan) Tj ET
endstream
endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
`)

func must(t testing.TB, p *page, code int) *page {
	t.Helper()
	if p.Code != code {
		t.Fatalf("status %d, want %d (Location %q)\n%.3000s", p.Code, code, p.Location, p.Body)
	}
	return p
}

// newTLSSite serves the same appliance as if behind a TLS proxy: its
// public address is https.
func newTLSSite(t testing.TB, s *site) string {
	mux := http.NewServeMux()
	web.New(s.Svc, apptest.Logger(), web.Options{Now: s.Clock.Now, BaseURL: "https://missive.example"}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// qualifyCopy is the letter as it is, copied to a user.
func qualifyCopy(l *domain.Letter, userID string) appliance.RegisterInput {
	return appliance.RegisterInput{Subject: l.Subject, Body: l.Body, LetterDate: l.LetterDate, Priority: l.Priority, EntityID: l.EntityID,
		AssigneeID: l.AssigneeID, DoctypeID: l.DoctypeID, Copies: []domain.Copy{{Kind: "user", Ref: userID}}}
}

// qualifyEntityCopy is the letter assigned to a user and copied to an entity.
func qualifyEntityCopy(l *domain.Letter, entityID, assigneeID string) appliance.RegisterInput {
	in := qualifyCopy(l, "")
	in.AssigneeID = assigneeID
	in.Copies = []domain.Copy{{Kind: "entity", Ref: entityID}}
	return in
}

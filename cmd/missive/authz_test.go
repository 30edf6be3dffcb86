//go:build !bench

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/config"
	"missive/appliance/domain"
	"missive/mailbridge"
	"missive/webdav/share"
)

// The authorization matrix: every route of the API, the web UI, the
// OnlyOffice endpoints and every method of the WebDAV share, taken from
// their own route tables, is tried by every kind of user (anonymous,
// administrator, mail room, an agent of the letter's service, an agent of
// another service, an elected official of the letter's service) on a
// letter of a service and on a confidential one. Each route must have a
// rule below saying who may use it: a route added without one fails
// TestAuthorizationMatrix. The same run checks that every response that
// carries user content (an HTML page an anonymous e-mail attached) has the
// download headers.

// access says who may use a route.
type access int

const (
	public    access = iota // anyone, with or without a session
	loginForm               // the login form's POST: its own CSRF
	grant                   // a signed grant in the URL (OnlyOffice): nobody without one
	anyUser                 // any logged-in user
	writer                  // any logged-in user who may write (not an elected official)
	admin                   // administrators only
	readL                   // who sees the letter {id}
	noteL                   // who sees the letter and may write (a note)
	actL                    // who may act on the letter (not read-only, not outside it)
	readD                   // who sees the letter of the document {id}
	actD                    // who may act on the letter of the document {id}
	readC                   // the contact {id}: hidden when only a confidential letter outside names it
	ownToken                // the API token {id}: its owner or an administrator
)

// rule is a route's access and what its path parameters are.
type rule struct {
	access access
	params map[string]string // name → fixture key
	// notFoundOK: an allowed user may get 404 (a parameter that is not
	// theirs, such as a basket of another role).
	notFoundOK bool
	// once: the request changes the actor's own session (logout); only
	// the refusals are tried.
	once bool
	// body is sent instead of an empty one: JSON to the API, a form
	// (without its CSRF field, added) to the web UI.
	body string
}

// with sets a rule's body.
func (rl rule) with(body string) rule { rl.body = body; return rl }

// gone: an earlier request of the matrix (by an administrator) may have
// removed the thing the route names; a 404 is then no refusal.
func (rl rule) gone() rule { rl.notFoundOK = true; return rl }

func r(a access, params ...string) rule {
	m := map[string]string{}
	for i := 0; i+1 < len(params); i += 2 {
		m[params[i]] = params[i+1]
	}
	return rule{access: a, params: m}
}

var letterID, docID = []string{"id", "letter"}, []string{"id", "doc"}

// rules of every route. The keys are the route tables' patterns.
var rules = map[string]rule{
	// JSON API: public description and health checks.
	"GET /api/v1/openapi.json": r(public), "GET /healthz": r(public), "GET /readyz": r(public),
	"GET /api/v1/me":           r(anyUser),
	"POST /api/v1/letters":     r(writer),
	"GET /api/v1/letters":      r(anyUser),
	"GET /api/v1/letters/{id}": r(readL, letterID...), "GET /api/v1/letters/{id}/history": r(readL, letterID...),
	"GET /api/v1/letters/{id}/messages": r(readL, letterID...), "GET /api/v1/letters/{id}/exports": r(readL, letterID...),
	"GET /api/v1/letters/{id}/documents":          r(readL, letterID...),
	"POST /api/v1/letters/{id}/actions/qualify":   r(actL, letterID...),
	"POST /api/v1/letters/{id}/actions/redirect":  r(actL, letterID...),
	"POST /api/v1/letters/{id}/actions/note":      r(noteL, letterID...),
	"POST /api/v1/letters/{id}/actions/link":      r(actL, letterID...).with(`{"other_id":"{other}"}`),
	"POST /api/v1/letters/{id}/actions/close":     r(actL, letterID...),
	"POST /api/v1/letters/{id}/actions/reopen":    r(actL, letterID...),
	"POST /api/v1/letters/{id}/actions/draft":     r(actL, letterID...),
	"POST /api/v1/letters/{id}/actions/final-pdf": r(actL, letterID...),
	"POST /api/v1/letters/{id}/actions/export":    r(actL, letterID...),
	"POST /api/v1/letters/{id}/documents":         r(actL, letterID...),
	"POST /api/v1/letters/{id}/answer":            r(actL, letterID...),
	"POST /api/v1/letters/{id}/postal-ack":        r(actL, letterID...),
	"GET /api/v1/documents/{id}":                  r(readD, docID...), "GET /api/v1/documents/{id}/content": r(readD, docID...),
	"GET /api/v1/documents/{id}/onlyoffice":                  r(readD, docID...),
	"POST /api/v1/documents/{id}/versions":                   r(actD, docID...),
	"POST /api/v1/documents/{id}/versions/{version}/restore": r(actD, "id", "doc", "version", "version"),
	"GET /api/v1/contacts":                                   r(anyUser), "POST /api/v1/contacts": r(writer),
	"GET /api/v1/contacts/{id}": r(readC, "id", "contact"),
	"GET /api/v1/entities":      r(anyUser), "POST /api/v1/entities": r(admin),
	"GET /api/v1/doctypes": r(anyUser), "POST /api/v1/doctypes": r(admin),
	"GET /api/v1/doctypes/{id}": r(anyUser, "id", "doctype"), "PUT /api/v1/doctypes/{id}": r(admin, "id", "doctype"),
	"GET /api/v1/users": r(anyUser), "POST /api/v1/users": r(admin),
	"PUT /api/v1/users/{id}": r(admin, "id", "victim"), "POST /api/v1/users/{id}/password": r(admin, "id", "victim"),
	"POST /api/v1/tokens": r(anyUser), "GET /api/v1/tokens": r(anyUser),
	"DELETE /api/v1/tokens/{id}": r(ownToken, "id", "apitoken"),
	"GET /api/v1/history":        r(admin),
	"GET /api/v1/mail":           r(admin), "POST /api/v1/mail/addresses": r(admin),
	"DELETE /api/v1/mail/addresses/{address}": r(admin, "address", "address"),
	"POST /api/v1/mail/mailboxes":             r(admin), "DELETE /api/v1/mail/mailboxes/{id}": r(admin, "id", "mailbox").gone(),
	"POST /api/v1/mail/mailboxes/test": r(admin), "POST /api/v1/mail/mailboxes/{id}/test": r(admin, "id", "mailbox").gone(),
	"PUT /api/v1/mail/relay": r(admin), "POST /api/v1/mail/relay/test": r(admin),
	"POST /api/v1/mail/rules": r(admin), "DELETE /api/v1/mail/rules/{id}": r(admin, "id", "mailrule").gone(),
	"GET /api/v1/mail/templates": r(admin), "PUT /api/v1/mail/templates/{mode}": r(admin, "mode", "mode"),
	"PUT /api/v1/mail/ack-policy": r(admin),
	"GET /api/v1/dav/locks":       r(admin), "DELETE /api/v1/dav/locks/{token}": r(admin, "token", "lock"),
	"GET /api/v1/tenant": r(anyUser), "PUT /api/v1/tenant": r(admin),
	"PUT /api/v1/entities/{id}":                         r(admin, "id", "entity"),
	"POST /api/v1/letters/{id}/actions/incomplete":      r(actL, letterID...).with(`{"missing":"Plan de situation","deadline":"{deadline}"}`),
	"POST /api/v1/letters/{id}/actions/pieces-received": r(actL, letterID...),

	// Web UI.
	"GET /static/": r(public), "GET /favicon.ico": r(public), "GET /login": r(public), "POST /login": r(loginForm),
	"GET /lang/{lang}":   r(public, "lang", "lang"),
	"POST /logout":       {access: anyUser, once: true},
	"GET /{$}":           r(anyUser),
	"GET /baskets/{id}":  {access: anyUser, params: map[string]string{"id": "basket"}, notFoundOK: true},
	"POST /baskets/{id}": rule{access: anyUser, params: map[string]string{"id": "basket"}, notFoundOK: true}.with("action=unfollow&id={letter}"),
	"GET /letters/new":   r(writer), "POST /letters/new": r(writer),
	"GET /letters/{id}":           r(readL, letterID...),
	"POST /letters/{id}/{action}": r(noteL, "id", "letter", "action", "action"),
	"GET /documents/{id}":         r(readD, docID...),
	"GET /search":                 r(anyUser), "POST /search/saved": r(anyUser),
	"POST /search/saved/{id}/delete": {access: anyUser, params: map[string]string{"id": "search"}, notFoundOK: true},
	"GET /contacts":                  r(anyUser), "POST /contacts": r(writer),
	"GET /due-date": r(anyUser),
	"GET /password": r(anyUser), "POST /password": r(anyUser),
	"GET /admin/{$}":   r(admin),
	"GET /admin/users": r(admin), "POST /admin/users": r(admin),
	"GET /admin/users/{id}": r(admin, "id", "victim"), "POST /admin/users/{id}": r(admin, "id", "victim"),
	"POST /admin/users/{id}/password": r(admin, "id", "victim"), "POST /admin/users/{id}/sessions": r(admin, "id", "victim"),
	"GET /admin/entities": r(admin), "POST /admin/entities": r(admin),
	"GET /admin/doctypes": r(admin), "POST /admin/doctypes": r(admin),
	"GET /admin/doctypes/{id}": r(admin, "id", "doctype"), "POST /admin/doctypes/{id}": r(admin, "id", "doctype"),
	"GET /admin/baskets": r(admin), "POST /admin/baskets": r(admin),
	"GET /admin/mail": r(admin), "POST /admin/mail/addresses": r(admin), "POST /admin/mail/addresses/delete": r(admin),
	"POST /admin/mail/mailboxes": r(admin), "POST /admin/mail/mailboxes/test": r(admin),
	"POST /admin/mail/mailboxes/{id}/test": r(admin, "id", "mailbox").gone(), "POST /admin/mail/mailboxes/{id}/delete": r(admin, "id", "mailbox").gone(),
	"POST /admin/mail/relay": r(admin), "POST /admin/mail/relay/test": r(admin),
	"POST /admin/mail/rules": r(admin), "POST /admin/mail/rules/{id}/delete": r(admin, "id", "mailrule").gone(),
	"POST /admin/mail/templates": r(admin), "POST /admin/mail/ack": r(admin),
	"POST /letters/{id}/postal-ack": r(actL, letterID...), "POST /letters/{id}/answer-mail": r(actL, letterID...),
	"POST /letters/{id}/export":      r(actL, letterID...),
	"GET /documents/{id}/onlyoffice": r(readD, docID...),
	"GET /admin/ged":                 r(admin), "POST /admin/ged": r(admin), "POST /admin/onlyoffice": r(admin),
	"POST /letters/{id}/draft": r(actL, letterID...), "POST /letters/{id}/final-pdf": r(actL, letterID...),
	"GET /admin/templates": r(admin), "POST /admin/templates": r(admin),
	"POST /admin/templates/{id}/delete": {access: admin, params: map[string]string{"id": "template"}, notFoundOK: true},
	"GET /admin/templates/{id}/file":    r(admin, "id", "template"),
	"GET /admin/locks":                  r(admin), "POST /admin/locks/{token}/break": r(admin, "token", "lock"),
	"GET /tokens": r(anyUser), "POST /tokens": r(anyUser),
	"GET /admin/commune": r(admin), "POST /admin/commune": r(admin),
	"GET /admin/entities/{id}": r(admin, "id", "entity"), "POST /admin/entities/{id}": r(admin, "id", "entity"),
	"GET /admin/backups": r(admin), "POST /admin/backups": r(admin),
	"GET /admin/cluster":       r(admin),
	"POST /tokens/{id}/revoke": r(ownToken, "id", "apitoken"),

	// OnlyOffice's Document Server, with signed grants only.
	"GET /onlyoffice/download": r(grant), "POST /onlyoffice/callback": r(grant),
}

// The actors.
const (
	anon     = "anonyme"
	adminA   = "admin"
	clerk    = "courrier"
	agent    = "agent"    // of Voirie, the letter's service; assignee of the confidential one
	outsider = "outsider" // agent of Urbanisme
	elected  = "elu"      // elected official of Voirie
)

var actors = []string{anon, adminA, clerk, agent, outsider, elected}

const userPW = "motdepasse-matrice-1"

// evilMarker is in the document every content check looks for.
const evilMarker = "<script>missive-evil-marker</script>"

// allowed says whether actor may use a route of access on the fixture
// variant (conf: the confidential letter, its document, its sender).
func allowed(a access, actor string, conf bool) bool {
	if actor == anon {
		return a == public || a == loginForm
	}
	switch a {
	case public, loginForm, anyUser:
		return true
	case grant:
		return false
	case writer:
		return actor != elected
	case admin:
		return actor == adminA
	case ownToken:
		return actor == adminA || actor == agent
	case readC:
		return !conf || actor == adminA || actor == agent
	case readL, readD:
		if conf {
			return actor == adminA || actor == agent
		}
		return actor != outsider
	case noteL, actL, actD:
		if conf {
			return actor == adminA || actor == agent
		}
		return actor != outsider && actor != elected
	}
	return false
}

// variants says which fixtures a route is tried on: the plain ones, and the
// confidential ones for routes about a letter, a document or a contact.
func variants(a access) []bool {
	switch a {
	case readL, noteL, actL, readD, actD, readC:
		return []bool{false, true}
	}
	return []bool{false}
}

type matrix struct {
	t      *testing.T
	srv    *httptest.Server
	env    *apptest.Env
	fx     map[string]string // fixture key → value
	conf   map[string]string // the confidential variant's values
	tokens map[string]string // actor → API token
	web    map[string]*webClient
	users  map[string]*appliance.Actor
}

type webClient struct {
	c    *http.Client
	csrf string
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func newMatrix(t *testing.T) *matrix {
	env := apptest.New(t, "")
	ctx := context.Background()
	svc, a := env.Svc, env.Admin
	// The real bridge, not running: its connection tests reach no server
	// (the hosts are .test), and it checks the perimeter itself.
	bridge := mailbridge.New(svc, apptest.Logger(), mailbridge.Options{})
	mux, _ := newMux(svc, config.Default(), bridge, nil, nil, func() bool { return true }, apptest.Logger())
	m := &matrix{t: t, env: env, srv: httptest.NewServer(mux), fx: map[string]string{}, conf: map[string]string{},
		tokens: map[string]string{}, web: map[string]*webClient{}, users: map[string]*appliance.Actor{}}
	t.Cleanup(m.srv.Close)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	voirie, err := svc.CreateEntity(ctx, a, appliance.EntityInput{Code: "VOIRIE", Name: "Voirie"})
	must(err)
	urba, err := svc.CreateEntity(ctx, a, appliance.EntityInput{Code: "URBA", Name: "Urbanisme"})
	must(err)
	es, err := svc.Entities(ctx, a)
	must(err)
	for login, in := range map[string]appliance.UserInput{
		clerk:     {Role: domain.RoleMailroom, Entities: []domain.Membership{{EntityID: es[0].ID}}},
		agent:     {Role: domain.RoleAgent, Entities: []domain.Membership{{EntityID: voirie.ID}}},
		outsider:  {Role: domain.RoleAgent, Entities: []domain.Membership{{EntityID: urba.ID}}},
		elected:   {Role: domain.RoleElected, Entities: []domain.Membership{{EntityID: voirie.ID}}},
		"victime": {Role: domain.RoleAgent, Entities: []domain.Membership{{EntityID: urba.ID}}},
	} {
		in.Login, in.Name, in.Password = login, login, userPW
		u, err := svc.CreateUser(ctx, a, in)
		must(err)
		if login == "victime" {
			m.fx["victim"] = u.ID
			continue
		}
		m.users[login], err = svc.ActorFor(ctx, "default", u.ID)
		must(err)
	}
	m.users[adminA] = a
	for _, who := range actors[1:] {
		tok, err := svc.CreateToken(ctx, a, m.users[who].ID(), "matrice")
		must(err)
		m.tokens[who] = tok
	}
	_, err = svc.SetOnlyOffice(ctx, a, appliance.OnlyOfficeInput{URL: "https://office.ville.test/", Secret: "secret-partage-onlyoffice-1"})
	must(err)

	evil := func() appliance.Upload {
		return appliance.Upload{Name: "evil.html", Body: strings.NewReader("<html>" + evilMarker + "</html>")}
	}
	l, err := svc.RegisterLetter(ctx, a, appliance.RegisterInput{Category: domain.Incoming, Subject: "Nid de poule", EntityID: voirie.ID,
		Sender: &appliance.ContactInput{LastName: "Publique", Email: "public@exemple.test"}}, evil())
	must(err)
	c, err := svc.RegisterLetter(ctx, a, appliance.RegisterInput{Category: domain.Incoming, Subject: "Signalement", EntityID: voirie.ID,
		AssigneeID: m.users[agent].ID(), Confidential: true, Sender: &appliance.ContactInput{LastName: "Confidentielle", Email: "alerte@exemple.test"}}, evil())
	must(err)
	docOf := func(id string) string {
		v, err := svc.View(ctx, a, id)
		must(err)
		return v.Documents[0].ID
	}
	m.fx["letter"], m.fx["doc"], m.fx["contact"] = l.ID, docOf(l.ID), l.SenderID
	m.conf["letter"], m.conf["doc"], m.conf["contact"] = c.ID, docOf(c.ID), c.SenderID
	m.fx["version"], m.fx["action"], m.fx["mode"], m.fx["lang"], m.fx["basket"] = "1", "note", "normal", "fr", "followed"
	m.fx["template"] = "default"
	dts, err := svc.Doctypes(ctx, a)
	must(err)
	m.fx["doctype"] = dts[0].ID
	m.fx["entity"] = urba.ID
	m.fx["deadline"] = time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	_, err = svc.AddMailAddress(ctx, a, appliance.MailAddressInput{Address: "mairie@ville.test"})
	must(err)
	m.fx["address"] = "mairie@ville.test"
	mb, err := svc.AddMailbox(ctx, a, appliance.MailboxInput{Host: "imap.ville.test", Port: 993, Security: "tls", Username: "c", Password: "p", Folder: "INBOX", DoneFolder: "Traités"})
	must(err)
	m.fx["mailbox"] = mb.ID
	rl, err := svc.AddMailRule(ctx, a, appliance.MailRuleInput{Keywords: "voirie", EntityID: voirie.ID})
	must(err)
	m.fx["mailrule"] = rl.ID
	agentTok, _, err := svc.IssueToken(ctx, m.users[agent], appliance.TokenInput{Name: "à révoquer"})
	must(err)
	toks, err := svc.Tokens(ctx, m.users[agent], m.users[agent].ID())
	must(err)
	for _, x := range toks {
		if x.Name == "à révoquer" {
			m.fx["apitoken"] = x.ID
		}
	}
	_ = agentTok
	m.fx["search"] = "inconnue"
	other, err := svc.RegisterLetter(ctx, a, appliance.RegisterInput{Category: domain.Incoming, Subject: "Autre", EntityID: voirie.ID})
	must(err)
	m.fx["other"] = other.ID
	// A lock of the agent's on a file of the letter's folder.
	space := &appliance.DavTarget{Space: "l:" + l.ID, LetterID: l.ID, Prefix: "/" + appliance.DavLetterFolder(l.Number)}
	lk, err := svc.DavLock(ctx, m.users[agent], space, appliance.DavLockInput{Path: "/verrou.odt", Timeout: time.Hour})
	must(err)
	m.fx["lock"] = lk.Token
	m.fx["folder"] = appliance.DavLetterFolder(l.Number)
	m.conf["folder"] = appliance.DavLetterFolder(c.Number)

	for _, who := range actors[1:] {
		m.web[who] = m.login(who)
	}
	return m
}

// login opens a web session for who.
func (m *matrix) login(who string) *webClient {
	jar, _ := cookiejar.New(nil)
	wc := &webClient{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	page := func(method, path string, form url.Values) string {
		req, _ := http.NewRequest(method, m.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", m.srv.URL)
		resp, err := wc.c.Do(req)
		if err != nil {
			m.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	body := page("GET", "/login", nil)
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	pw := userPW
	if who == adminA {
		pw = apptest.AdminPassword
	}
	page("POST", "/login", url.Values{"login": {who}, "password": {pw}, "csrf": {tok[1]}})
	mm := csrfMeta.FindStringSubmatch(page("GET", "/", nil))
	if mm == nil {
		m.t.Fatalf("no session for %s", who)
	}
	wc.csrf = mm[1]
	return wc
}

type outcome struct {
	code     int
	location string
	header   http.Header
	body     string
}

// do sends one request of a route as who, with the rule's body (its
// {key}s filled from the fixtures).
func (m *matrix) do(kind, method, path, who, ruleBody string) outcome {
	var body io.Reader
	req, _ := http.NewRequest(method, m.srv.URL+path, nil)
	client := http.DefaultClient
	ruleBody = regexp.MustCompile(`\{(\w+)\}`).ReplaceAllStringFunc(ruleBody, func(s string) string { return m.fx[strings.Trim(s, "{}")] })
	switch kind {
	case "api":
		if ruleBody == "" {
			ruleBody = "{}"
		}
		if method != "GET" && method != "DELETE" {
			body = strings.NewReader(ruleBody)
		}
		req, _ = http.NewRequest(method, m.srv.URL+path, body)
		if who != anon {
			req.Header.Set("Authorization", "Bearer "+m.tokens[who])
		}
	case "web":
		if method == "POST" {
			form, _ := url.ParseQuery(ruleBody)
			if who != anon {
				form.Set("csrf", m.web[who].csrf)
			}
			req, _ = http.NewRequest(method, m.srv.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", m.srv.URL)
		}
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if who != anon {
			client = m.web[who].c
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s as %s: %v", method, path, who, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return outcome{code: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(b)}
}

func (o outcome) denied() bool {
	return o.code == 401 || o.code == 403 || o.code == 404 || (o.code == 303 && strings.HasPrefix(o.location, "/login"))
}

// checkContent fails a response that carries the evil document without
// the headers of user content.
func (m *matrix) checkContent(what string, o outcome) {
	m.t.Helper()
	if !strings.Contains(o.body, evilMarker) {
		return
	}
	h := o.header
	if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		m.t.Errorf("%s serves user content without the download headers: %v", what, h)
	}
}

var paramRe = regexp.MustCompile(`\{(\w+)(?:\.\.\.)?\}|\{\$\}`)

// path fills a pattern's parameters from the fixtures.
func (m *matrix) path(pattern string, rl rule, conf bool) string {
	_, p, _ := strings.Cut(pattern, " ")
	if p == "/static/" {
		return "/static/app.css"
	}
	return paramRe.ReplaceAllStringFunc(p, func(s string) string {
		if s == "{$}" {
			return ""
		}
		key := rl.params[strings.Trim(s, "{}")]
		if v, ok := m.conf[key]; conf && ok {
			return url.PathEscape(v)
		}
		v, ok := m.fx[key]
		if !ok {
			m.t.Fatalf("%s: no fixture for %s", pattern, s)
		}
		return url.PathEscape(v)
	})
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	_, sv := newMux(m.env.Svc, config.Default(), nil, nil, nil, func() bool { return true }, apptest.Logger())
	routes := map[string]string{}
	add := func(kind string, ps ...[]string) {
		for _, l := range ps {
			for _, p := range l {
				routes[p] = kind
			}
		}
	}
	ap, aa := sv.api.Routes()
	wp, wa := sv.web.Routes()
	add("api", ap, aa)
	add("web", wp, wa, sv.oo.Routes())
	var names []string
	for p := range routes {
		names = append(names, p)
		if _, ok := rules[p]; !ok {
			t.Errorf("route %s has no authorization rule in authz_test.go: say who may use it", p)
		}
	}
	for p := range rules {
		if _, ok := routes[p]; !ok {
			t.Errorf("rule for %s, which no route table has", p)
		}
	}
	if t.Failed() {
		return
	}
	sort.Strings(names)
	// Logout last: it ends the actor's sessions.
	sort.SliceStable(names, func(i, j int) bool { return !rules[names[i]].once && rules[names[j]].once })
	tried := 0
	for _, p := range names {
		rl, kind := rules[p], routes[p]
		method, _, _ := strings.Cut(p, " ")
		for _, conf := range variants(rl.access) {
			path := m.path(p, rl, conf)
			for _, who := range actors {
				ok := allowed(rl.access, who, conf)
				if ok && rl.once {
					continue
				}
				o := m.do(kind, method, path, who, rl.body)
				tried++
				what := fmt.Sprintf("%s %s as %s (confidential %v)", method, path, who, conf)
				if method == "GET" {
					m.checkContent(what, o)
				}
				switch {
				case o.code >= 500 && o.code != 503:
					t.Errorf("%s: %d", what, o.code)
				case !ok && !o.denied():
					t.Errorf("%s: %d, want a refusal (401, 403, 404 or the login page)", what, o.code)
				case ok && rl.access != loginForm && (o.code == 401 || o.code == 403 || (o.code == 303 && strings.HasPrefix(o.location, "/login"))):
					t.Errorf("%s: %d, want it allowed", what, o.code)
				case ok && o.code == 404 && !rl.notFoundOK && rl.params != nil && len(rl.params) > 0:
					t.Errorf("%s: 404, want it allowed", what)
				}
			}
		}
	}
	t.Logf("%d routes, %d requests", len(names), tried)
	m.dav(t)
}

// dav tries every method of the share on every kind of space.
func (m *matrix) dav(t *testing.T) {
	// The spaces and, per actor, whether they may read and write there.
	type space struct {
		name        string
		path        func(who string) string // the space's root, for who
		read, write func(who string) bool
		file        string // an existing file to read, "" for the root
	}
	notAnon := func(who string) bool { return who != anon }
	writerOf := func(who string) bool { return who != anon && who != elected }
	spaces := []space{
		{"own folder", func(who string) string { return "/~" + who + "/" }, notAnon, writerOf, ""},
		{"another's folder", func(who string) string {
			if who == agent {
				return "/~" + outsider + "/"
			}
			return "/~" + agent + "/"
		}, func(string) bool { return false }, func(string) bool { return false }, ""},
		{"letter folder", func(string) string { return "/" + m.fx["folder"] + "/" },
			func(who string) bool { return who != anon && who != outsider },
			func(who string) bool { return who != anon && who != outsider && who != elected }, "evil.html"},
		{"confidential letter folder", func(string) string { return "/" + m.conf["folder"] + "/" },
			func(who string) bool { return who == adminA || who == agent }, func(who string) bool { return who == adminA || who == agent }, "evil.html"},
		{"templates", func(string) string { return "/" + share.TemplatesFolder + "/" }, notAnon, func(string) bool { return false }, ""},
		{"tenant root", func(string) string { return "/" }, notAnon, func(string) bool { return false }, ""},
	}
	var methods []string
	for meth := range share.Methods() {
		methods = append(methods, meth)
	}
	sort.Strings(methods)
	n := 0
	for _, sp := range spaces {
		for _, meth := range methods {
			write := share.Methods()[meth]
			for _, who := range actors {
				root := "/dav/default" + sp.path(who)
				ok := sp.read(who)
				if write {
					ok = sp.write(who)
				}
				target := root
				switch {
				case !write && sp.file != "" && (meth == "GET" || meth == "HEAD" || meth == "POST"):
					target = root + sp.file
				case write && meth == "PUT", write && meth == "MKCOL":
					target = fmt.Sprintf("%snouveau-%s-%s", root, who, strings.ToLower(meth))
				case write && meth != "LOCK":
					// An existing file of the space, made for this request
					// by someone who may (the actor in their own folder).
					target = fmt.Sprintf("%scible-%s-%s.txt", root, who, strings.ToLower(meth))
					if ok {
						m.davPut(t, sp.name, who, target)
					}
				}
				o := m.davDo(meth, target, who)
				n++
				what := fmt.Sprintf("WebDAV %s %s as %s (%s)", meth, target, who, sp.name)
				if meth == "GET" {
					m.checkContent(what, o)
				}
				switch {
				case o.code >= 500:
					t.Errorf("%s: %d", what, o.code)
				case !ok && !o.denied():
					t.Errorf("%s: %d, want a refusal", what, o.code)
				case ok && (o.denied() || o.code == 423):
					t.Errorf("%s: %d, want it allowed", what, o.code)
				}
			}
		}
	}
	t.Logf("WebDAV: %d methods, %d requests", len(methods), n)
}

// davPut makes target as an actor allowed to write there (the admin in a
// letter's folder, the actor in their own).
func (m *matrix) davPut(t *testing.T, space, who, target string) {
	t.Helper()
	as := adminA
	if space == "own folder" {
		as = who
	}
	if o := m.davDo("PUT", target, as); o.code != 201 && o.code != 204 {
		t.Fatalf("prepare %s as %s: %d %s", target, as, o.code, o.body)
	}
}

func (m *matrix) davDo(method, path, who string) outcome {
	var body io.Reader
	switch method {
	case "PUT":
		body = strings.NewReader("contenu")
	case "PROPPATCH":
		body = strings.NewReader(`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:note>x</Z:note></D:prop></D:set></D:propertyupdate>`)
	case "LOCK":
		body = strings.NewReader(`<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`)
	case "PROPFIND":
		body = strings.NewReader(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`)
	}
	req, _ := http.NewRequest(method, m.srv.URL+path, body)
	switch method {
	case "PROPFIND":
		req.Header.Set("Depth", "0")
	case "MOVE", "COPY":
		req.Header.Set("Destination", m.srv.URL+path+"-copie")
	case "UNLOCK":
		req.Header.Set("Lock-Token", "<urn:uuid:00000000-0000-4000-8000-000000000000>")
	case "LOCK":
		req.Header.Set("Timeout", "Second-60")
	}
	if who != anon {
		pw := userPW
		if who == adminA {
			pw = apptest.AdminPassword
		}
		req.SetBasicAuth(who, pw)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	o := outcome{code: resp.StatusCode, header: resp.Header, body: string(b)}
	if method == "LOCK" && (o.code == 200 || o.code == 201) {
		// Released at once, so that the other requests find no lock.
		if m := regexp.MustCompile(`<([^>]+)>`).FindStringSubmatch(resp.Header.Get("Lock-Token")); m != nil {
			req, _ := http.NewRequest("UNLOCK", req.URL.String(), nil)
			req.Header.Set("Lock-Token", "<"+m[1]+">")
			req.Header.Set("Authorization", resp.Request.Header.Get("Authorization"))
			if r2, err := http.DefaultClient.Do(req); err == nil {
				r2.Body.Close()
			}
		}
	}
	return o
}

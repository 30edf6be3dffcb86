package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// harness is the API over a real store, served on a loopback port, with an
// admin token. It records which documented routes a test drove to success.
type harness struct {
	env   *apptest.Env
	url   string
	admin string

	mu  sync.Mutex
	hit map[string]bool // "METHOD /api/v1/template"
	// keyed, when set, holds the operations documented with an
	// Idempotency-Key: call then sends each write of those with a fresh
	// key, sends it again with the same key and checks that the second
	// answer is the first one, replayed, with no second command.
	keyed map[string]bool
	keys  int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	env := apptest.New(t, "")
	mux := http.NewServeMux()
	as := api.New(env.Svc, apptest.Logger())
	setStubBridge(as, env.Svc)
	as.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h := &harness{env: env, url: srv.URL, hit: map[string]bool{}}
	h.admin = h.token(t, env.Admin.ID())
	return h
}

func (h *harness) token(t *testing.T, userID string) string {
	t.Helper()
	tok, err := h.env.Svc.CreateToken(context.Background(), h.env.Admin, userID, "test")
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return tok
}

// user creates a user through the service and returns it with a token.
func (h *harness) user(t *testing.T, login string, role domain.Role, entities ...string) (*domain.User, string) {
	t.Helper()
	in := appliance.UserInput{Login: login, Name: login, Role: role, Password: "motdepasse-" + login}
	for _, e := range entities {
		in.Entities = append(in.Entities, domain.Membership{EntityID: e})
	}
	u, err := h.env.Svc.CreateUser(context.Background(), h.env.Admin, in)
	if err != nil {
		t.Fatalf("create user %s: %v", login, err)
	}
	return u, h.token(t, u.ID)
}

func (h *harness) entity(t *testing.T, code string) *domain.Entity {
	t.Helper()
	e, err := h.env.Svc.CreateEntity(context.Background(), h.env.Admin, appliance.EntityInput{Code: code, Name: "Service " + code})
	if err != nil {
		t.Fatalf("create entity %s: %v", code, err)
	}
	return e
}

func (h *harness) letter(t *testing.T, in appliance.RegisterInput) *domain.Letter {
	t.Helper()
	l, err := h.env.Svc.RegisterLetter(context.Background(), h.env.Admin, in)
	if err != nil {
		t.Fatalf("register letter: %v", err)
	}
	return l
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

// send makes one request. body is nil (no body), a string or []byte (sent
// as is) or a value sent as JSON.
func (h *harness) send(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return h.do(t, req, token)
}

func (h *harness) do(t *testing.T, req *http.Request, token string) response {
	t.Helper()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

var paramRe = regexp.MustCompile(`\{\w+\}`)

// call drives the route template tmpl ("POST /api/v1/letters/{id}"), its
// {params} filled in order by args, checks the status, decodes the answer
// into out (when not nil) and records the route as covered.
func (h *harness) call(t *testing.T, want int, tmpl, token string, body, out any, args ...string) response {
	t.Helper()
	method, path, _ := strings.Cut(tmpl, " ")
	i := 0
	path = paramRe.ReplaceAllStringFunc(path, func(string) string {
		if i >= len(args) {
			t.Fatalf("%s: missing argument %d", tmpl, i)
		}
		i++
		return args[i-1]
	})
	route, _, _ := strings.Cut(tmpl, "?")
	var r response
	if h.keyed[route] {
		r = h.sendTwice(t, route, method, path, token, body)
	} else {
		r = h.send(t, method, path, token, body)
	}
	if r.code != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.code, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: decode %T: %v\n%s", method, path, out, err, r.body)
		}
	}
	h.mu.Lock()
	h.hit[route] = true
	h.mu.Unlock()
	return r
}

// apiError decodes an error body and checks it has a message.
func apiError(t *testing.T, r response) api.Error {
	t.Helper()
	var e api.Error
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		t.Fatalf("status %d: error body without a message (%v): %s", r.code, err, r.body)
	}
	return e
}

// operations lists "METHOD path" for every operation of the OpenAPI document.
func operations(t *testing.T, h *harness) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := h.send(t, "GET", "/api/v1/openapi.json", "", nil)
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var ops []string
	for p, methods := range doc.Paths {
		for m := range methods {
			ops = append(ops, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(ops)
	return ops
}

func TestEveryRouteHappyPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.admin
	h.keyed = keyedOperations(t, h)

	var me domain.User
	h.call(t, 200, "GET /api/v1/me", admin, nil, &me)
	if me.Login != "admin" || me.Role != domain.RoleAdmin {
		t.Fatalf("me = %+v, want admin", me)
	}

	var ent domain.Entity
	h.call(t, 201, "POST /api/v1/entities", admin, appliance.EntityInput{Code: "URBA", Name: "Urbanisme"}, &ent)
	var ents []domain.Entity
	h.call(t, 200, "GET /api/v1/entities", admin, nil, &ents)
	if !containsFunc(ents, func(e domain.Entity) bool { return e.ID == ent.ID && e.Code == "URBA" }) {
		t.Fatalf("entities %+v lack URBA", ents)
	}

	var dt domain.Doctype
	h.call(t, 201, "POST /api/v1/doctypes", admin, appliance.DoctypeInput{Code: "PERMIS", Label: "Permis de construire", DelayDays: 30, Mode: domain.ModeNormal}, &dt)
	var dts []domain.Doctype
	h.call(t, 200, "GET /api/v1/doctypes", admin, nil, &dts)
	if !containsFunc(dts, func(d domain.Doctype) bool { return d.ID == dt.ID && d.DelayDays == 30 }) {
		t.Fatalf("doctypes %+v lack PERMIS", dts)
	}
	// Archival retention: set on an existing doctype, read back as JSON.
	h.call(t, 200, "PUT /api/v1/doctypes/{id}", admin, map[string]any{"label": "Permis de construire", "delay_days": 30,
		"retention_years": 10, "final_disposition": "conserver"}, &dt, dt.ID)
	var raw map[string]any
	h.call(t, 200, "GET /api/v1/doctypes/{id}", admin, nil, &raw, dt.ID)
	if raw["retention_years"] != float64(10) || raw["final_disposition"] != "conserver" || raw["code"] != "PERMIS" || dt.RetentionYears != 10 {
		t.Fatalf("doctype after PUT: %v (answered %+v)", raw, dt)
	}

	var c domain.Contact
	h.call(t, 201, "POST /api/v1/contacts", admin, appliance.ContactInput{FirstName: "Jeanne", LastName: "Martin", Email: "jeanne.martin@example.fr", City: "Lyon"}, &c)
	var cs []domain.Contact
	h.call(t, 200, "GET /api/v1/contacts?q=Martin", admin, nil, &cs)
	if !containsFunc(cs, func(x domain.Contact) bool { return x.ID == c.ID }) {
		t.Fatalf("contact search for Martin: %+v", cs)
	}
	var c2 domain.Contact
	h.call(t, 200, "GET /api/v1/contacts/{id}", admin, nil, &c2, c.ID)
	if c2.Email != "jeanne.martin@example.fr" || c2.City != "Lyon" {
		t.Fatalf("contact read back as %+v", c2)
	}

	var u domain.User
	h.call(t, 201, "POST /api/v1/users", admin, appliance.UserInput{Login: "agent.urba", Name: "Agent", Role: domain.RoleAgent,
		Password: "motdepasse-agent-1", Entities: []domain.Membership{{EntityID: ent.ID}}}, &u)
	var us []domain.User
	h.call(t, 200, "GET /api/v1/users", admin, nil, &us)
	if !containsFunc(us, func(x domain.User) bool { return x.ID == u.ID && x.Login == "agent.urba" }) {
		t.Fatalf("users %+v lack agent.urba", us)
	}
	var u2 domain.User
	h.call(t, 200, "PUT /api/v1/users/{id}", admin, appliance.UserInput{Name: "Agent de l'urbanisme", Role: domain.RoleAgent,
		Entities: []domain.Membership{{EntityID: ent.ID, Manager: true}}}, &u2, u.ID)
	if u2.Name != "Agent de l'urbanisme" || len(u2.Entities) != 1 || !u2.Entities[0].Manager {
		t.Fatalf("updated user = %+v", u2)
	}
	h.call(t, 204, "POST /api/v1/users/{id}/password", admin, api.PasswordBody{Password: "nouveau-motdepasse-1"}, nil, u.ID)
	if _, err := h.env.Svc.Authenticate(context.Background(), "default", "agent.urba", "nouveau-motdepasse-1", "test"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	var tok api.TokenResponse
	h.call(t, 201, "POST /api/v1/tokens", admin, appliance.TokenInput{UserID: u.ID, Name: "script"}, &tok)
	var agentMe domain.User
	h.call(t, 200, "GET /api/v1/me", tok.Token, nil, &agentMe)
	if agentMe.ID != u.ID {
		t.Fatalf("token made for %s authenticates %s", u.ID, agentMe.ID)
	}
	var toks []domain.Token
	h.call(t, 200, "GET /api/v1/tokens", tok.Token, nil, &toks)
	if len(toks) != 1 || toks[0].ID != tok.ID || toks[0].Name != "script" {
		t.Fatalf("tokens of agent.urba: %+v", toks)
	}

	var l domain.Letter
	r := h.call(t, 201, "POST /api/v1/letters", admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande de permis de construire",
		Body: "Je sollicite un permis pour l'extension de ma véranda.", Sender: &appliance.ContactInput{ID: c.ID}}, &l)
	if l.ID == "" || !numberRe.MatchString(l.Number) || l.Status != domain.StatusNew || l.SenderID != c.ID {
		t.Fatalf("registered letter = %+v", l)
	}
	if loc := r.header.Get("Location"); loc != "/api/v1/letters/"+l.ID {
		t.Fatalf("Location %q", loc)
	}
	var other domain.Letter
	h.call(t, 201, "POST /api/v1/letters", admin, appliance.RegisterInput{Category: domain.Outgoing, Subject: "Accusé de réception"}, &other)

	var page api.Page[domain.Letter]
	h.call(t, 200, "GET /api/v1/letters?q=veranda", admin, nil, &page)
	if page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != l.ID {
		t.Fatalf("search veranda: %+v", page)
	}
	var view appliance.LetterView
	h.call(t, 200, "GET /api/v1/letters/{id}", admin, nil, &view, l.ID)
	if view.Letter == nil || view.Letter.ID != l.ID || view.Letter.SenderName != "Jeanne Martin" {
		t.Fatalf("view = %+v", view.Letter)
	}

	var q domain.Letter
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/qualify", admin, appliance.QualifyInput{Subject: new("Permis de construire: véranda"),
		DoctypeID: &dt.ID, Priority: new(domain.PriorityHigh)}, &q, l.ID)
	if q.Subject != "Permis de construire: véranda" || q.DoctypeID != dt.ID || q.DueDate == "" || q.Priority != domain.PriorityHigh {
		t.Fatalf("qualified letter = %+v", q)
	}
	var rd domain.Letter
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/redirect", admin, appliance.RedirectInput{EntityID: ent.ID, Note: "Pour instruction"}, &rd, l.ID)
	if rd.EntityID != ent.ID || rd.Status != domain.StatusInProgress {
		t.Fatalf("redirected letter = %+v", rd)
	}
	var n domain.Note
	h.call(t, 201, "POST /api/v1/letters/{id}/actions/note", admin, appliance.NoteInput{Text: "Pièces complémentaires demandées"}, &n, l.ID)
	if n.ID == "" || n.Text != "Pièces complémentaires demandées" || n.LetterID != l.ID {
		t.Fatalf("note = %+v", n)
	}
	h.call(t, 204, "POST /api/v1/letters/{id}/actions/link", admin, api.LinkBody{OtherID: other.ID}, nil, l.ID)
	var cl domain.Letter
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/close", admin, api.NoteBody{Note: "Réponse envoyée"}, &cl, l.ID)
	if cl.Status != domain.StatusClosed || cl.ClosedAt == "" {
		t.Fatalf("closed letter = %+v", cl)
	}
	var ro domain.Letter
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/reopen", admin, nil, &ro, l.ID)
	if ro.Status == domain.StatusClosed {
		t.Fatalf("reopened letter still closed: %+v", ro)
	}

	h.call(t, 200, "GET /api/v1/letters/{id}", admin, nil, &view, l.ID)
	if len(view.Links) != 1 || view.Links[0].LetterID != other.ID {
		t.Fatalf("links = %+v", view.Links)
	}
	// The agent of URBA now sees the letter it was redirected to, with its
	// notes, but not the link to a letter outside its perimeter.
	var agentView appliance.LetterView
	h.call(t, 200, "GET /api/v1/letters/{id}", tok.Token, nil, &agentView, l.ID)
	if !containsFunc(agentView.Notes, func(x domain.Note) bool { return x.ID == n.ID }) {
		t.Fatalf("notes %+v lack %s", agentView.Notes, n.ID)
	}
	if len(agentView.Links) != 0 {
		t.Fatalf("agent sees links to letters outside its perimeter: %+v", agentView.Links)
	}

	var doc domain.Document
	h.call(t, 201, "POST /api/v1/letters/{id}/documents?name=courrier.txt", admin, "première version", &doc, l.ID)
	var docs []domain.Document
	h.call(t, 200, "GET /api/v1/letters/{id}/documents", admin, nil, &docs, l.ID)
	if len(docs) != 1 || docs[0].ID != doc.ID {
		t.Fatalf("documents = %+v", docs)
	}
	var v2 domain.Document
	h.call(t, 201, "POST /api/v1/documents/{id}/versions", admin, "seconde version", &v2, doc.ID)
	var got domain.Document
	h.call(t, 200, "GET /api/v1/documents/{id}", admin, nil, &got, doc.ID)
	if len(got.Versions) != 2 || got.Versions[1].Version != 2 {
		t.Fatalf("document versions = %+v", got.Versions)
	}
	if b := h.call(t, 200, "GET /api/v1/documents/{id}/content", admin, nil, nil, doc.ID).body; string(b) != "seconde version" {
		t.Fatalf("content = %q", b)
	}

	// The other letter's reply draft and its final answer (drafts_test.go
	// checks them in detail).
	var dr api.DraftResponse
	h.call(t, 201, "POST /api/v1/letters/{id}/actions/draft", admin, nil, &dr, other.ID)
	if !strings.HasPrefix(dr.URL, h.url+"/dav/default/") || !dr.Created {
		t.Fatalf("draft = %+v", dr)
	}
	var final domain.Document
	h.call(t, 201, "POST /api/v1/letters/{id}/actions/final-pdf", admin, nil, &final, other.ID)
	if final.Versions[0].MIME != "application/pdf" {
		t.Fatalf("final answer = %+v", final)
	}

	var msgs []appliance.MailMessage
	r = h.call(t, 200, "GET /api/v1/letters/{id}/messages", admin, nil, &msgs, l.ID)
	if !bytes.HasPrefix(bytes.TrimSpace(r.body), []byte("[")) {
		t.Fatalf("messages of a paper letter: %s, want a JSON array", r.body)
	}
	for _, m := range msgs {
		if m.Direction != "in" && m.Direction != "out" {
			t.Fatalf("message with direction %q", m.Direction)
		}
	}

	var hist []domain.HistoryEntry
	h.call(t, 200, "GET /api/v1/letters/{id}/history", admin, nil, &hist, l.ID)
	want := []string{"letter.register", "letter.qualify", "letter.redirect", "letter.note", "letter.link", "letter.close", "letter.reopen", "letter.attach", "letter.attach"}
	var kinds []string
	for _, e := range hist {
		kinds = append(kinds, e.Kind)
	}
	sort.Strings(kinds)
	sort.Strings(want)
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("letter history kinds %v, want %v", kinds, want)
	}

	if _, err := h.env.Svc.SetGEDTarget(context.Background(), h.env.Admin, appliance.GEDTargetInput{URL: "http://127.0.0.1:1/Courrier/"}); err != nil {
		t.Fatal(err)
	}
	var export domain.GEDExport
	h.call(t, 202, "POST /api/v1/letters/{id}/actions/export", admin, nil, &export, l.ID)
	var exports []domain.GEDExport
	h.call(t, 200, "GET /api/v1/letters/{id}/exports", admin, nil, &exports, l.ID)
	if export.Status != appliance.GEDQueued || len(exports) != 1 || exports[0].ID != export.ID {
		t.Fatalf("export %+v, exports %+v", export, exports)
	}
	if _, err := h.env.Svc.SetOnlyOffice(context.Background(), h.env.Admin, appliance.OnlyOfficeInput{URL: "https://office.example.org/", Secret: "secret-partage-onlyoffice-1"}); err != nil {
		t.Fatal(err)
	}
	var ed appliance.OnlyOfficeEditor
	h.call(t, 200, "GET /api/v1/documents/{id}/onlyoffice", admin, nil, &ed, doc.ID)
	if ed.APIURL != "https://office.example.org/web-apps/apps/api/documents/api.js" || ed.Config.Token == "" || ed.Config.Document.Title != "courrier.txt" ||
		!strings.HasPrefix(ed.Config.Document.URL, h.url+"/onlyoffice/download?") {
		t.Fatalf("onlyoffice editor = %+v", ed)
	}
	var all []domain.HistoryEntry
	h.call(t, 200, "GET /api/v1/history?per_page=500", admin, nil, &all)
	if len(all) <= len(hist) {
		t.Fatalf("tenant history has %d entries, the letter alone %d", len(all), len(hist))
	}

	h.call(t, 200, "DELETE /api/v1/tokens/{id}", admin, nil, nil, tok.ID)
	mailHappyPath(t, h)
	davHappyPath(t, h, doc)
	communeHappyPath(t, h)
	for _, op := range operations(t, h) {
		if !h.hit[op] {
			t.Errorf("%s is documented but this test never drives it to success", op)
		}
	}
}

func containsFunc[T any](s []T, f func(T) bool) bool {
	for _, x := range s {
		if f(x) {
			return true
		}
	}
	return false
}

func TestAuthenticationRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ops := operations(t, h)
	if len(ops) < 20 {
		t.Fatalf("only %d operations documented", len(ops))
	}
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		path = paramRe.ReplaceAllString(path, "x")
		for _, auth := range []string{"", "Bearer ", "Bearer pas-un-jeton", "Basic YWRtaW46YWRtaW4=", h.admin} {
			req, err := http.NewRequest(method, h.url+path, strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			if auth == h.admin {
				// The raw token without its scheme is not a Bearer header.
				req.Header.Set("Authorization", h.admin)
			}
			r := h.do(t, req, "")
			if r.code != 401 {
				t.Errorf("%s with Authorization %q: status %d, want 401", op, auth, r.code)
				continue
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: 401 without a Bearer challenge", op)
			}
			apiError(t, r)
		}
	}
	// A valid token goes through, and the public endpoints need none.
	if r := h.send(t, "GET", "/api/v1/me", h.admin, nil); r.code != 200 {
		t.Fatalf("GET /api/v1/me with a token: %d", r.code)
	}
	for _, p := range []string{"/api/v1/openapi.json", "/healthz", "/readyz"} {
		if r := h.send(t, "GET", p, "", nil); r.code != 200 {
			t.Errorf("GET %s without a token: %d, want 200", p, r.code)
		}
	}
	r := h.send(t, "GET", "/api/v1/nulle-part", h.admin, nil)
	if r.code != 404 {
		t.Fatalf("unknown route: %d", r.code)
	}
	apiError(t, r)
}

func TestBadJSONIs400(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Courrier"})
	for _, tc := range []struct{ name, path, body string }{
		{"unknown field", "/api/v1/letters", `{"category":"incoming","subject":"Courrier","objet":"champ inconnu"}`},
		{"unknown nested field", "/api/v1/letters", `{"category":"incoming","subject":"Courrier","sender":{"nom":"Dupont"}}`},
		{"malformed", "/api/v1/letters", `{"category":"incoming","subject":`},
		{"wrong type", "/api/v1/letters", `{"category":1,"subject":"Courrier"}`},
		{"trailing object", "/api/v1/letters", `{"category":"incoming","subject":"Courrier"} {}`},
		{"trailing bracket", "/api/v1/letters", `{"category":"incoming","subject":"Courrier"}]`},
		{"empty", "/api/v1/letters", ``},
		{"not an object", "/api/v1/entities", `["URBA"]`},
		{"unknown field in an action", "/api/v1/letters/" + l.ID + "/actions/close", `{"note":"ok","motif":"x"}`},
		{"malformed action", "/api/v1/letters/" + l.ID + "/actions/redirect", `{entity_id:"x"}`},
	} {
		r := h.send(t, "POST", tc.path, h.admin, tc.body)
		if r.code != 400 {
			t.Errorf("%s: status %d, want 400: %s", tc.name, r.code, r.body)
			continue
		}
		apiError(t, r)
	}
	// Nothing of the refused requests was applied.
	v, err := h.env.Svc.View(context.Background(), h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Letter.Status == domain.StatusClosed || len(v.History) != 1 {
		t.Fatalf("a refused request changed the letter: status %s, %d history entries", v.Letter.Status, len(v.History))
	}
	page, _, err := h.env.Svc.Letters(context.Background(), h.env.Admin, store.LetterFilter{Limit: 100})
	if err != nil || len(page) != 1 {
		t.Fatalf("letters after refused registrations: %d (%v), want 1", len(page), err)
	}
}

func TestValidationIs422WithFrenchFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		name, method, path string
		body               any
		fields             map[string]string // field → part of its message
	}{
		{"letter", "POST", "/api/v1/letters", appliance.RegisterInput{Category: "arrivée", Subject: "  ", LetterDate: "12/03/2026", Priority: "vite",
			Sender: &appliance.ContactInput{Email: "pas une adresse"}},
			map[string]string{"category": "incoming, outgoing ou internal", "subject": "obligatoire", "letter_date": "date invalide",
				"priority": "low, normal, high ou urgent", "sender.email": "adresse e-mail invalide"}},
		{"routing", "POST", "/api/v1/letters", appliance.RegisterInput{Category: domain.Incoming, Subject: "Courrier", EntityID: "inconnue", DoctypeID: "inconnu"},
			map[string]string{"entity_id": "entité inconnue", "doctype_id": "type de courrier inconnu"}},
		{"user", "POST", "/api/v1/users", appliance.UserInput{Login: "Agent Un", Role: "chef", Password: "court"},
			map[string]string{"login": "minuscules", "role": "rôle inconnu", "password": "10 caractères au moins", "name": "obligatoire"}},
		{"entity", "POST", "/api/v1/entities", appliance.EntityInput{Code: "é", Name: ""},
			map[string]string{"code": "lettres, chiffres", "name": "obligatoire"}},
		{"doctype", "POST", "/api/v1/doctypes", appliance.DoctypeInput{Code: "X", Label: "X", DelayDays: -1, Mode: "tacite", RetentionYears: 101, FinalDisposition: "archiver"},
			map[string]string{"delay_days": "entre 0 et 3650 jours", "mode": "normal, sva ou svr", "retention_years": "entre 0 (non renseignée) et 100 ans",
				"final_disposition": "conserver, detruire, trier ou vide"}},
		{"filter", "GET", "/api/v1/letters?category=arrivee&from=hier&overdue=peut-etre", nil,
			map[string]string{"category": "incoming", "from": "date invalide", "overdue": "true ou false"}},
	} {
		r := h.send(t, tc.method, tc.path, h.admin, tc.body)
		if r.code != 422 {
			t.Errorf("%s: status %d, want 422: %s", tc.name, r.code, r.body)
			continue
		}
		e := apiError(t, r)
		for f, msg := range tc.fields {
			if !strings.Contains(e.Fields[f], msg) {
				t.Errorf("%s: field %s = %q, want a message containing %q (all: %v)", tc.name, f, e.Fields[f], msg, e.Fields)
			}
		}
	}
}

func TestPerimeterAndReadOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	urba, voirie := h.entity(t, "URBA"), h.entity(t, "VOIRIE")
	_, agentVoirie := h.user(t, "agent.voirie", domain.RoleAgent, voirie.ID)
	_, elected := h.user(t, "elu.urba", domain.RoleElected, urba.ID)
	_, agentUrba := h.user(t, "agent.urba", domain.RoleAgent, urba.ID)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Permis de construire", EntityID: urba.ID})
	other := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Nid de poule", EntityID: voirie.ID})
	doc, err := h.env.Svc.Attach(context.Background(), h.env.Admin, l.ID, "", appliance.Upload{Name: "plan.txt", Body: strings.NewReader("plan")})
	if err != nil {
		t.Fatal(err)
	}

	actions := []struct{ path, body string }{
		{"/actions/qualify", `{"subject":"Changé"}`},
		{"/actions/redirect", `{"entity_id":"` + voirie.ID + `"}`},
		{"/actions/note", `{"text":"Vu"}`},
		{"/actions/link", `{"other_id":"` + other.ID + `"}`},
		{"/actions/close", ``},
		{"/actions/reopen", ``},
		{"/documents?name=a.txt", `contenu`},
	}

	// Outside the perimeter the letter does not exist, for reads and actions.
	for _, p := range []string{"/api/v1/letters/" + l.ID, "/api/v1/letters/" + l.ID + "/history", "/api/v1/letters/" + l.ID + "/documents",
		"/api/v1/letters/" + l.ID + "/messages", "/api/v1/documents/" + doc.ID, "/api/v1/documents/" + doc.ID + "/content"} {
		if r := h.send(t, "GET", p, agentVoirie, nil); r.code != 404 {
			t.Errorf("agent of another entity: GET %s: %d, want 404", p, r.code)
		}
	}
	for _, a := range actions {
		if r := h.send(t, "POST", "/api/v1/letters/"+l.ID+a.path, agentVoirie, a.body); r.code != 404 {
			t.Errorf("agent of another entity: POST %s: %d, want 404: %s", a.path, r.code, r.body)
		}
	}
	if r := h.send(t, "POST", "/api/v1/documents/"+doc.ID+"/versions", agentVoirie, "v2"); r.code != 404 {
		t.Errorf("agent of another entity: new version: %d, want 404", r.code)
	}
	var page api.Page[domain.Letter]
	if r := h.send(t, "GET", "/api/v1/letters", agentVoirie, nil); r.code != 200 || json.Unmarshal(r.body, &page) != nil ||
		page.Total != 1 || page.Items[0].ID != other.ID {
		t.Errorf("agent of VOIRIE lists %d letters (%s), want only its own", page.Total, r.body)
	}

	// An elected official of the entity reads it and changes nothing.
	if r := h.send(t, "GET", "/api/v1/letters/"+l.ID, elected, nil); r.code != 200 {
		t.Errorf("elected: GET letter: %d, want 200", r.code)
	}
	if r := h.send(t, "GET", "/api/v1/documents/"+doc.ID+"/content", elected, nil); r.code != 200 || string(r.body) != "plan" {
		t.Errorf("elected: download: %d %q", r.code, r.body)
	}
	for _, a := range actions {
		r := h.send(t, "POST", "/api/v1/letters/"+l.ID+a.path, elected, a.body)
		if r.code != 403 {
			t.Errorf("elected: POST %s: %d, want 403: %s", a.path, r.code, r.body)
			continue
		}
		apiError(t, r)
	}
	if r := h.send(t, "POST", "/api/v1/letters", elected, `{"category":"incoming","subject":"Élu"}`); r.code != 403 {
		t.Errorf("elected: register: %d, want 403", r.code)
	}
	// Admin-only routes refuse an agent with 403.
	if r := h.send(t, "POST", "/api/v1/entities", agentUrba, `{"code":"X","name":"X"}`); r.code != 403 {
		t.Errorf("agent creates an entity: %d, want 403", r.code)
	}
	if r := h.send(t, "GET", "/api/v1/history", agentUrba, nil); r.code != 403 {
		t.Errorf("agent reads the tenant history: %d, want 403", r.code)
	}

	v, err := h.env.Svc.View(context.Background(), h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Letter.Subject != "Permis de construire" || v.Letter.EntityID != urba.ID || len(v.Notes) != 0 || len(v.Links) != 0 || len(v.Documents) != 1 {
		t.Fatalf("a refused action changed the letter: %+v", v)
	}
}

func TestCloseTwiceIs409(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Courrier"})
	path := "/api/v1/letters/" + l.ID + "/actions/"
	if r := h.send(t, "POST", path+"reopen", h.admin, nil); r.code != 409 {
		t.Fatalf("reopen an open letter: %d, want 409", r.code)
	}
	if r := h.send(t, "POST", path+"close", h.admin, nil); r.code != 200 {
		t.Fatalf("close: %d: %s", r.code, r.body)
	}
	r := h.send(t, "POST", path+"close", h.admin, `{"note":"encore"}`)
	if r.code != 409 {
		t.Fatalf("close twice: %d, want 409", r.code)
	}
	if e := apiError(t, r); !strings.Contains(e.Error, "déjà clos") {
		t.Fatalf("409 message %q does not say the letter is already closed", e.Error)
	}
	if r := h.send(t, "POST", path+"redirect", h.admin, `{"entity_id":"x"}`); r.code != 409 {
		t.Fatalf("redirect a closed letter: %d, want 409", r.code)
	}
}

func multipartBody(t *testing.T, name string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("role", "main"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

func TestDocumentsUploadAndDownload(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Courrier scanné"})
	base := "/api/v1/letters/" + l.ID + "/documents"

	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 5000)...)
	body, ct := multipartBody(t, "scan du courrier.pdf", pdf)
	req, _ := http.NewRequest("POST", h.url+base, body)
	req.Header.Set("Content-Type", ct)
	r := h.do(t, req, h.admin)
	if r.code != 201 {
		t.Fatalf("multipart upload: %d: %s", r.code, r.body)
	}
	var scan domain.Document
	if err := json.Unmarshal(r.body, &scan); err != nil {
		t.Fatal(err)
	}
	if scan.Name != "scan du courrier.pdf" || scan.Role != domain.DocMain || len(scan.Versions) != 1 || scan.Versions[0].Size != int64(len(pdf)) {
		t.Fatalf("uploaded document = %+v", scan)
	}

	html := []byte(`<html><script>alert(document.cookie)</script></html>`)
	r = h.send(t, "POST", base+"?name=page.html", h.admin, html)
	if r.code != 201 {
		t.Fatalf("raw upload: %d: %s", r.code, r.body)
	}
	var page domain.Document
	json.Unmarshal(r.body, &page)
	if page.Role != domain.DocAttachment {
		t.Fatalf("raw upload role %q, want the default attachment", page.Role)
	}

	for _, tc := range []struct {
		doc      domain.Document
		content  []byte
		mimeType string
	}{{scan, pdf, "application/pdf"}, {page, html, "text/html"}} {
		r := h.send(t, "GET", "/api/v1/documents/"+tc.doc.ID+"/content", h.admin, nil)
		if r.code != 200 || !bytes.Equal(r.body, tc.content) {
			t.Fatalf("download %s: %d, %d bytes, want the %d uploaded", tc.doc.Name, r.code, len(r.body), len(tc.content))
		}
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != tc.mimeType || r.header.Get("Content-Type") != tc.doc.Versions[0].MIME {
			t.Errorf("%s: Content-Type %q, stored %q, want %s", tc.doc.Name, r.header.Get("Content-Type"), tc.doc.Versions[0].MIME, tc.mimeType)
		}
		disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != tc.doc.Name {
			t.Errorf("%s: Content-Disposition %q", tc.doc.Name, r.header.Get("Content-Disposition"))
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
			t.Errorf("%s: Content-Security-Policy %q lacks sandbox", tc.doc.Name, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tc.doc.Name)
		}
	}

	// A new version keeps the document and numbers the version 2; the
	// first stays downloadable.
	r = h.send(t, "POST", "/api/v1/documents/"+scan.ID+"/versions", h.admin, []byte("%PDF-1.4 corrigé"))
	if r.code != 201 {
		t.Fatalf("version upload: %d: %s", r.code, r.body)
	}
	var v2 domain.Document
	json.Unmarshal(r.body, &v2)
	if v2.ID != scan.ID || len(v2.Versions) != 2 || v2.Versions[1].Version != 2 || v2.Name != scan.Name {
		t.Fatalf("after a new version: %+v", v2)
	}
	if r := h.send(t, "GET", "/api/v1/documents/"+scan.ID+"/content", h.admin, nil); string(r.body) != "%PDF-1.4 corrigé" {
		t.Fatalf("latest version content %q", r.body)
	}
	if r := h.send(t, "GET", "/api/v1/documents/"+scan.ID+"/content?version=1", h.admin, nil); !bytes.Equal(r.body, pdf) {
		t.Fatalf("version 1 content: %d bytes", len(r.body))
	}
	if r := h.send(t, "GET", "/api/v1/documents/"+scan.ID+"/content?version=3", h.admin, nil); r.code != 404 {
		t.Fatalf("version 3: %d, want 404", r.code)
	}
	if r := h.send(t, "POST", base, h.admin, []byte("sans nom")); r.code != 422 {
		t.Fatalf("raw upload without ?name=: %d, want 422", r.code)
	}
}

// hideLength makes the client send a body chunked, with no Content-Length,
// so that the server must count the bytes as they stream.
type hideLength struct{ io.Reader }

func TestUploadOverLimitIs413AndLeavesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.Svc.MaxUpload = 1 << 20
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Gros courrier"})
	before := historyLen(t, h)
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16)
	mp, ct := multipartBody(t, "gros.pdf", big)
	mpBytes := mp.Bytes()

	for _, tc := range []struct {
		name string
		body func() io.Reader
		ct   string
	}{
		{"raw with length", func() io.Reader { return bytes.NewReader(big) }, "application/octet-stream"},
		{"raw chunked", func() io.Reader { return hideLength{bytes.NewReader(big)} }, "application/octet-stream"},
		{"multipart with length", func() io.Reader { return bytes.NewReader(mpBytes) }, ct},
		{"multipart chunked", func() io.Reader { return hideLength{bytes.NewReader(mpBytes)} }, ct},
	} {
		req, _ := http.NewRequest("POST", h.url+"/api/v1/letters/"+l.ID+"/documents?name=gros.pdf", tc.body())
		req.Header.Set("Content-Type", tc.ct)
		r := h.do(t, req, h.admin)
		if r.code != 413 {
			t.Errorf("%s: status %d, want 413: %s", tc.name, r.code, r.body)
			continue
		}
		apiError(t, r)
	}

	var files []string
	filepath.WalkDir(filepath.Join(h.env.Dir, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("refused uploads left files in the blob store: %v", files)
	}
	if after := historyLen(t, h); after != before {
		t.Errorf("history went from %d to %d entries on refused uploads", before, after)
	}
	v, err := h.env.Svc.View(context.Background(), h.env.Admin, l.ID)
	if err != nil || len(v.Documents) != 0 {
		t.Fatalf("letter has %d documents after refused uploads (%v)", len(v.Documents), err)
	}
	// Just under the limit is accepted: the limit is not off by a lot.
	r := h.send(t, "POST", "/api/v1/letters/"+l.ID+"/documents?name=juste.pdf", h.admin, big[:1<<20])
	if r.code != 201 {
		t.Fatalf("upload of exactly MaxUpload: %d: %s", r.code, r.body)
	}
}

func historyLen(t *testing.T, h *harness) int {
	t.Helper()
	hs, err := h.env.Svc.TenantHistory(context.Background(), h.env.Admin, 100000, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(hs)
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.send(t, "GET", "/api/v1/openapi.json", "", nil)
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", r.code, r.header.Get("Content-Type"))
	}
	if !json.Valid(r.body) {
		t.Fatal("openapi.json is not valid JSON")
	}
	var doc map[string]any
	json.Unmarshal(r.body, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)
	contract := []string{
		"POST /api/v1/letters", "GET /api/v1/letters", "GET /api/v1/letters/{id}",
		"POST /api/v1/letters/{id}/actions/qualify", "POST /api/v1/letters/{id}/actions/redirect", "POST /api/v1/letters/{id}/actions/note",
		"POST /api/v1/letters/{id}/actions/link", "POST /api/v1/letters/{id}/actions/close", "POST /api/v1/letters/{id}/actions/reopen",
		"POST /api/v1/letters/{id}/documents", "GET /api/v1/documents/{id}/content",
		"GET /api/v1/contacts", "POST /api/v1/contacts", "GET /api/v1/entities", "POST /api/v1/entities",
		"GET /api/v1/doctypes", "POST /api/v1/doctypes", "GET /api/v1/doctypes/{id}", "PUT /api/v1/doctypes/{id}", "GET /api/v1/users", "POST /api/v1/users",
		"POST /api/v1/tokens", "GET /api/v1/history",
	}
	for _, c := range contract {
		m, p, _ := strings.Cut(c, " ")
		ops, _ := paths[p].(map[string]any)
		if ops[strings.ToLower(m)] == nil {
			t.Errorf("%s is missing from the OpenAPI document", c)
		}
	}
	listParams := map[string]bool{}
	for _, p := range paths["/api/v1/letters"].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
		listParams[p.(map[string]any)["name"].(string)] = true
	}
	for _, q := range []string{"q", "category", "status", "entity", "doctype", "assignee", "from", "to", "overdue", "sort", "desc", "page", "per_page"} {
		if !listParams[q] {
			t.Errorf("GET /api/v1/letters does not document ?%s", q)
		}
	}

	// Every documented path is served by the mux (401, not the catch-all 404),
	// declares its path parameters, and has a unique operationId.
	opIDs := map[string]string{}
	for p, ops := range paths {
		for m, op := range ops.(map[string]any) {
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if prev, dup := opIDs[id]; dup || id == "" {
				t.Errorf("%s %s: operationId %q empty or shared with %s", m, p, id, prev)
			}
			opIDs[id] = m + " " + p
			declared := map[string]bool{}
			params, _ := o["parameters"].([]any)
			for _, x := range params {
				if x.(map[string]any)["in"] == "path" {
					declared[x.(map[string]any)["name"].(string)] = true
				}
			}
			for _, name := range paramRe.FindAllString(p, -1) {
				if !declared[strings.Trim(name, "{}")] {
					t.Errorf("%s %s: path parameter %s not declared", m, p, name)
				}
			}
			if rr := h.send(t, strings.ToUpper(m), paramRe.ReplaceAllString(p, "x"), "", nil); rr.code != 401 {
				t.Errorf("%s %s: documented but answered %d without a token (want 401 from the route itself)", m, p, rr.code)
			}
		}
	}

	// Every $ref points into components/schemas and resolves.
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if len(schemas) == 0 {
		t.Fatal("no components/schemas")
	}
	refs := 0
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "$ref" {
					refs++
					ref, _ := e.(string)
					name, ok := strings.CutPrefix(ref, "#/components/schemas/")
					if !ok || schemas[name] == nil {
						t.Errorf("%s: $ref %q does not resolve to components/schemas", where, ref)
					} else if s, _ := schemas[name].(map[string]any); s["type"] != "object" {
						t.Errorf("%s: schema %s is not an object schema: %v", where, name, s)
					}
					continue
				}
				walk(where+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", where, i), e)
			}
		}
	}
	walk("#", doc)
	if refs < 20 {
		t.Fatalf("only %d $refs in the document", refs)
	}
	// The schema of a letter names the fields the API sends.
	letter, _ := schemas["Letter"].(map[string]any)
	props, _ := letter["properties"].(map[string]any)
	for _, f := range []string{"id", "number", "category", "subject", "status", "due_date"} {
		if props[f] == nil {
			t.Errorf("schema Letter lacks %s", f)
		}
	}
	if letter["additionalProperties"] != false {
		t.Errorf("schema Letter allows additional properties")
	}
}

// ?consistency= takes local (the default) or strong; anything else is a 400
// with nothing read. (What strong waits for is tested with a lagging
// follower in cluster.)
func TestConsistencyParameter(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Courrier"})
	for _, c := range []string{"local", "strong"} {
		if r := h.send(t, "GET", "/api/v1/letters/"+l.ID+"?consistency="+c, h.admin, nil); r.code != 200 {
			t.Errorf("consistency=%s: %d, want 200", c, r.code)
		}
	}
	r := h.send(t, "GET", "/api/v1/letters/"+l.ID+"?consistency=eventuelle", h.admin, nil)
	if r.code != 400 || !strings.Contains(apiError(t, r).Error, "strong") {
		t.Fatalf("consistency=eventuelle: %d, want 400 naming the values", r.code)
	}
}

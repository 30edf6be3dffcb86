package onlyoffice

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	oo "missive/appliance/docserver"
	"missive/appliance/domain"
)

// No Document Server runs here: an httptest server plays its part as its
// API documents it. It serves the edited files at /cache/files/…, and the
// test posts the callbacks it would post, signed or not.

const secret = "secret-partage-onlyoffice-1"

type fixture struct {
	env     *apptest.Env
	ctx     context.Context
	missive *httptest.Server
	ds      *httptest.Server
	edited  map[string][]byte // path → content served by the Document Server
	agent   *appliance.Actor
	voirie  *domain.Entity
	urba    *domain.Entity
	letter  *domain.Letter
	doc     *domain.Document
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := apptest.New(t, "")
	f := &fixture{env: env, ctx: context.Background(), edited: map[string][]byte{}}
	f.ds = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := f.edited[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if to, ok := strings.CutPrefix(string(b), "redirect:"); ok {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(f.ds.Close)
	mux := http.NewServeMux()
	New(env.Svc, apptest.Logger(), Options{}).Register(mux)
	f.missive = httptest.NewServer(mux)
	t.Cleanup(f.missive.Close)
	svc, admin := env.Svc, env.Admin
	if _, err := svc.SetOnlyOffice(f.ctx, admin, appliance.OnlyOfficeInput{URL: f.ds.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.voirie, err = svc.CreateEntity(f.ctx, admin, appliance.EntityInput{Code: "VOIRIE", Name: "Voirie"}); err != nil {
		t.Fatal(err)
	}
	if f.urba, err = svc.CreateEntity(f.ctx, admin, appliance.EntityInput{Code: "URBA", Name: "Urbanisme"}); err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(f.ctx, admin, appliance.UserInput{Login: "julien", Name: "Julien Morel", Role: domain.RoleAgent, Password: "motdepasse-agent-1",
		Entities: []domain.Membership{{EntityID: f.voirie.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if f.agent, err = svc.ActorFor(f.ctx, "default", u.ID); err != nil {
		t.Fatal(err)
	}
	if f.letter, err = svc.RegisterLetter(f.ctx, admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Élagage", EntityID: f.voirie.ID}); err != nil {
		t.Fatal(err)
	}
	if f.doc, err = svc.Attach(f.ctx, f.agent, f.letter.ID, "", appliance.Upload{Name: "reponse.docx", Role: domain.DocDraft, Body: strings.NewReader("version 1")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) editor(t *testing.T, a *appliance.Actor) *appliance.OnlyOfficeEditor {
	t.Helper()
	ed, err := f.env.Svc.OnlyOfficeEditor(f.ctx, a, f.doc.ID, f.missive.URL)
	if err != nil {
		t.Fatal(err)
	}
	return ed
}

// post sends a callback as the Document Server does: the fields, the token
// in the body signing them (bodySecret "" sends no body token), and an
// optional Authorization header.
func (f *fixture) post(t *testing.T, callbackURL string, cb map[string]any, bodySecret, authz string) (int, reply) {
	t.Helper()
	body := map[string]any{}
	for k, v := range cb {
		body[k] = v
	}
	if bodySecret != "" {
		tok, err := oo.Sign(bodySecret, cb)
		if err != nil {
			t.Fatal(err)
		}
		body["token"] = tok
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", callbackURL, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("callback answer: %v", err)
	}
	return resp.StatusCode, r
}

func (f *fixture) versions(t *testing.T) []domain.Version {
	t.Helper()
	d, err := f.env.Svc.Document(f.ctx, f.env.Admin, f.doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d.Versions
}

func (f *fixture) content(t *testing.T, v int) string {
	t.Helper()
	_, _, rc, err := f.env.Svc.OpenDocument(f.ctx, f.env.Admin, f.doc.ID, v)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func TestEditorConfigIsSignedAndDownloadable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ed := f.editor(t, f.agent)
	c := ed.Config
	if ed.APIURL != f.ds.URL+"/web-apps/apps/api/documents/api.js" || c.DocumentType != "word" || c.Document.FileType != "docx" ||
		c.Document.Title != "reponse.docx" || c.EditorConfig.Lang != "fr" || c.EditorConfig.Mode != "edit" || !c.Document.Permissions.Edit ||
		c.EditorConfig.User.ID != f.agent.ID() || !strings.HasPrefix(c.EditorConfig.CallbackURL, f.missive.URL+"/onlyoffice/callback?") {
		t.Fatalf("editor %+v", ed)
	}
	// The token signs the configuration itself, as the Document Server checks.
	claims, err := oo.Verify(secret, c.Token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	unsigned := c
	unsigned.Token = ""
	want, _ := json.Marshal(unsigned)
	if !bytes.Equal(claims, want) {
		t.Fatalf("token signs %s\nwant %s", claims, want)
	}
	if _, err := oo.Verify("un-autre-secret-de-test", c.Token, time.Now()); err == nil {
		t.Fatal("token verified with another secret")
	}

	resp, err := http.Get(c.Document.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "version 1" {
		t.Fatalf("download: %d %q", resp.StatusCode, b)
	}
	// User content, from the UI's origin: downloaded, sandboxed, not sniffed.
	if h := resp.Header; !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download headers: %v", h)
	}
	for _, bad := range []string{
		strings.Replace(c.Document.URL, "token=", "token=x", 1),
		strings.Replace(c.Document.URL, "tenant=default", "tenant=autre", 1),
		// A callback grant does not download.
		f.missive.URL + "/onlyoffice/download?" + strings.SplitN(c.EditorConfig.CallbackURL, "?", 2)[1],
	} {
		resp, err := http.Get(bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("download %s: %d, want 403", bad, resp.StatusCode)
		}
	}
	// The grant is short-lived.
	f.env.Svc.Now = func() time.Time { return time.Now().Add(time.Hour) }
	resp, err = http.Get(c.Document.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("expired download grant: %d, want 403", resp.StatusCode)
	}
}

func TestCallbackSavesNewVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ed := f.editor(t, f.agent)
	key := ed.Config.Document.Key
	f.edited["/cache/files/1/output.docx"] = []byte("version 2, éditée dans OnlyOffice")
	cb := map[string]any{"key": key, "status": 2, "url": f.ds.URL + "/cache/files/1/output.docx", "filetype": "docx", "users": []string{f.agent.ID()}}

	// Without a token, or signed with another secret: refused, nothing saved.
	if code, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb, "", ""); code != 403 || r.Error == 0 {
		t.Fatalf("unsigned callback: %d %+v", code, r)
	}
	if code, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb, "un-autre-secret-de-test", ""); code != 403 || r.Error == 0 {
		t.Fatalf("badly signed callback: %d %+v", code, r)
	}
	forged, _ := oo.Sign("un-autre-secret-de-test", map[string]any{"payload": cb})
	if code, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb, "", "Bearer "+forged); code != 403 || r.Error == 0 {
		t.Fatalf("badly signed header: %d %+v", code, r)
	}
	// A forged grant in the URL.
	if code, _ := f.post(t, f.missive.URL+"/onlyoffice/callback?tenant=default&token=abc.def.ghi", cb, secret, ""); code != 403 {
		t.Fatalf("forged grant: %d", code)
	}
	if n := len(f.versions(t)); n != 1 {
		t.Fatalf("%d versions after refused callbacks", n)
	}

	// Editing (1) changes nothing; closed with changes (2) saves.
	if code, r := f.post(t, ed.Config.EditorConfig.CallbackURL, map[string]any{"key": key, "status": 1, "users": []string{f.agent.ID()}}, secret, ""); code != 200 || r.Error != 0 {
		t.Fatalf("status 1: %d %+v", code, r)
	}
	if code, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb, secret, ""); code != 200 || r.Error != 0 {
		t.Fatalf("status 2: %d %+v", code, r)
	}
	vs := f.versions(t)
	if len(vs) != 2 || vs[1].CreatedBy != f.agent.ID() || f.content(t, 2) != "version 2, éditée dans OnlyOffice" {
		t.Fatalf("versions %+v", vs)
	}
	// The same save again (a retried callback) is not a new version.
	if _, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb, secret, ""); r.Error != 0 {
		t.Fatalf("repeated status 2: %+v", r)
	}
	if n := len(f.versions(t)); n != 2 {
		t.Fatalf("%d versions after a repeated save", n)
	}
	// A force save (6) with the token in the header only, as older servers send.
	f.edited["/cache/files/2/output.docx"] = []byte("version 3")
	cb6 := map[string]any{"key": key, "status": 6, "url": f.ds.URL + "/cache/files/2/output.docx", "users": []string{f.agent.ID()}}
	hdr, _ := oo.Sign(secret, map[string]any{"payload": cb6})
	if code, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb6, "", "Bearer "+hdr); code != 200 || r.Error != 0 {
		t.Fatalf("status 6: %d %+v", code, r)
	}
	if f.content(t, 3) != "version 3" {
		t.Fatal("force save not recorded")
	}
	// Unsigned fields are not trusted: the URL comes from the token.
	cb7 := map[string]any{"key": key, "status": 2, "url": f.ds.URL + "/cache/files/1/output.docx", "users": []string{f.agent.ID()}}
	tok, _ := oo.Sign(secret, cb7)
	body, _ := json.Marshal(map[string]any{"key": key, "status": 2, "url": "http://127.0.0.1:1/ailleurs", "token": tok})
	resp, err := http.Post(ed.Config.EditorConfig.CallbackURL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.content(t, 4) != "version 2, éditée dans OnlyOffice" {
		t.Fatal("the signed URL was not the one used")
	}
	// The edited file is fetched from the Document Server only.
	away := map[string]any{"key": key, "status": 2, "url": "http://127.0.0.1:1/cache/files/x.docx", "users": []string{f.agent.ID()}}
	if _, r := f.post(t, ed.Config.EditorConfig.CallbackURL, away, secret, ""); r.Error == 0 {
		t.Fatal("a file from another host was accepted")
	}
	if n := len(f.versions(t)); n != 4 {
		t.Fatalf("%d versions, want 4", n)
	}
}

// The save follows a redirect on the Document Server, never one that
// leaves it: Missive must not be made to fetch from the town's network.
func TestCallbackRefusesRedirectAway(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ed := f.editor(t, f.agent)
	var hits atomic.Int32
	away := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("contenu d'ailleurs"))
	}))
	t.Cleanup(away.Close)
	f.edited["/cache/files/away.docx"] = []byte("redirect:" + away.URL + "/interne/secret.docx")
	f.edited["/cache/files/here.docx"] = []byte("redirect:" + f.ds.URL + "/cache/files/1/output.docx")
	f.edited["/cache/files/1/output.docx"] = []byte("version 2")
	cb := func(path string) map[string]any {
		return map[string]any{"key": ed.Config.Document.Key, "status": 2, "url": f.ds.URL + path, "users": []string{f.agent.ID()}}
	}
	if _, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb("/cache/files/away.docx"), secret, ""); r.Error == 0 {
		t.Fatal("a save redirected to another host was accepted")
	}
	if hits.Load() != 0 || len(f.versions(t)) != 1 {
		t.Fatalf("the other host was reached %d times; %d versions", hits.Load(), len(f.versions(t)))
	}
	if _, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb("/cache/files/here.docx"), secret, ""); r.Error != 0 {
		t.Fatalf("a redirect on the Document Server itself: %+v", r)
	}
	if f.content(t, 2) != "version 2" {
		t.Fatal("the save redirected on the Document Server was not recorded")
	}
}

func TestCallbackPerimeter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	svc, admin := f.env.Svc, f.env.Admin
	// Céline (Urbanisme) does not see the Voirie letter: no editor.
	u, err := svc.CreateUser(f.ctx, admin, appliance.UserInput{Login: "celine", Name: "Céline", Role: domain.RoleAgent, Password: "motdepasse-agent-1",
		Entities: []domain.Membership{{EntityID: f.urba.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	celine, _ := svc.ActorFor(f.ctx, "default", u.ID)
	if _, err := svc.OnlyOfficeEditor(f.ctx, celine, f.doc.ID, f.missive.URL); err == nil {
		t.Fatal("editor given outside the perimeter")
	}
	// An elected official reads only: view mode, no callback.
	e, err := svc.CreateUser(f.ctx, admin, appliance.UserInput{Login: "elu", Name: "Élu", Role: domain.RoleElected, Password: "motdepasse-agent-1",
		Entities: []domain.Membership{{EntityID: f.voirie.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	elu, _ := svc.ActorFor(f.ctx, "default", e.ID)
	if ed := f.editor(t, elu); ed.Config.EditorConfig.Mode != "view" || ed.Config.EditorConfig.CallbackURL != "" || ed.Config.Document.Permissions.Edit {
		t.Fatalf("elected official's editor: %+v", ed.Config)
	}
	// Julien opens the editor, then moves to Urbanisme: his save is refused.
	ed := f.editor(t, f.agent)
	if _, err := svc.UpdateUser(f.ctx, admin, f.agent.ID(), appliance.UserInput{Name: "Julien Morel", Role: domain.RoleAgent,
		Entities: []domain.Membership{{EntityID: f.urba.ID}}}); err != nil {
		t.Fatal(err)
	}
	f.edited["/cache/files/9/output.docx"] = []byte("modifié hors périmètre")
	cb := map[string]any{"key": ed.Config.Document.Key, "status": 2, "url": f.ds.URL + "/cache/files/9/output.docx", "users": []string{f.agent.ID()}}
	if _, r := f.post(t, ed.Config.EditorConfig.CallbackURL, cb, secret, ""); r.Error == 0 {
		t.Fatal("save accepted outside the perimeter")
	}
	// A grant for a document of another tenant's id space does not help either.
	g, _ := oo.Sign(secret, oo.Grant{Purpose: oo.Callback, Tenant: "default", Document: "inconnu", User: admin.ID(), Exp: time.Now().Add(time.Hour).Unix()})
	if _, r := f.post(t, f.missive.URL+"/onlyoffice/callback?tenant=default&token="+g, cb, secret, ""); r.Error == 0 {
		t.Fatal("save of an unknown document accepted")
	}
	if n := len(f.versions(t)); n != 1 {
		t.Fatalf("%d versions, want 1", n)
	}
}

func TestVerifyRefusesOtherAlgorithms(t *testing.T) {
	t.Parallel()
	good, _ := oo.Sign(secret, map[string]any{"a": 1})
	parts := strings.Split(good, ".")
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	for _, tok := range []string{none, parts[0] + "." + parts[1], "", "a.b.c", good + "x"} {
		if _, err := oo.Verify(secret, tok, time.Now()); err == nil {
			t.Errorf("token %q verified", tok)
		}
	}
	exp, _ := oo.Sign(secret, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})
	if _, err := oo.Verify(secret, exp, time.Now()); err == nil {
		t.Error("expired token verified")
	}
	if _, err := oo.Verify(secret, good, time.Now()); err != nil {
		t.Error(err)
	}
}

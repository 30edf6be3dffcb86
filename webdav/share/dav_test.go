package share_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store/pgtest"
	"missive/webdav/share"
)

// fixture is a tenant with two services, an agent in each, an elected
// official, and one letter per service, served over a real HTTP server.
type fixture struct {
	env      *apptest.Env
	srv      *httptest.Server
	alice    *appliance.Actor // agent of service A
	letterA  *domain.Letter
	letterB  *domain.Letter
	folderA  string // /dav/default/2026-A-000001/
	folderB  string
	password string
	bobSpace *appliance.DavTarget // FuzzPath's witness
}

const userPassword = "motdepasse-agent-1"

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newFixture(t testing.TB) *fixture { return newFixtureOn(t, "") }

// newFixtureOn builds the fixture on SQLite (dsn "") or PostgreSQL.
func newFixtureOn(t testing.TB, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	env := apptest.New(t, dsn)
	f := &fixture{env: env, password: userPassword}
	entA, err := env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{Code: "SERVA", Name: "Service A"})
	if err != nil {
		t.Fatal(err)
	}
	entB, err := env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{Code: "SERVB", Name: "Service B"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []appliance.UserInput{
		{Login: "alice", Name: "Alice", Role: domain.RoleAgent, Password: userPassword, Entities: []domain.Membership{{EntityID: entA.ID}}},
		{Login: "bob", Name: "Bob", Role: domain.RoleAgent, Password: userPassword, Entities: []domain.Membership{{EntityID: entB.ID}}},
		{Login: "elu", Name: "Élu", Role: domain.RoleElected, Password: userPassword, Entities: []domain.Membership{{EntityID: entA.ID}}},
	} {
		if _, err := env.Svc.CreateUser(ctx, env.Admin, u); err != nil {
			t.Fatalf("create %s: %v", u.Login, err)
		}
	}
	if f.alice, err = env.Svc.Authenticate(ctx, "default", "alice", userPassword, "test"); err != nil {
		t.Fatal(err)
	}
	reg := func(ent string) *domain.Letter {
		l, err := env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande " + ent, EntityID: ent,
			Sender: &appliance.ContactInput{LastName: "Dupont", Email: "jeanne.dupont@exemple.fr"}})
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		return l
	}
	f.letterA, f.letterB = reg(entA.ID), reg(entB.ID)
	f.folderA = "/dav/default/" + appliance.DavLetterFolder(f.letterA.Number) + "/"
	f.folderB = "/dav/default/" + appliance.DavLetterFolder(f.letterB.Number) + "/"
	mux := http.NewServeMux()
	share.New(env.Svc, apptest.Logger()).Register(mux)
	api.New(env.Svc, apptest.Logger()).Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// do sends one WebDAV request as login.
func (f *fixture) do(t testing.TB, login, method, path string, body string, hdr ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	pw := f.password
	if login == "admin" {
		pw = apptest.AdminPassword
	}
	req.SetBasicAuth(login, pw)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func status(t testing.TB, resp *http.Response, want ...int) {
	t.Helper()
	for _, w := range want {
		if resp.StatusCode == w {
			return
		}
	}
	b, _ := io.ReadAll(resp.Body)
	t.Fatalf("%s %s: status %d, want %v: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, b)
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

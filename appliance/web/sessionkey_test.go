package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
)

// The session signing key is derived from secrets.key and written nowhere
// in the store: a dump of the database (or the key an older version kept in
// web_keys) forges no admin cookie; only secrets.key signs one.
func TestSessionKeyIsNotInTheStore(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx := context.Background()
	mux := http.NewServeMux()
	New(env.Svc, apptest.Logger(), Options{}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	admin := env.Admin

	// What an older version left: a key proposed through the log.
	oldKey := bytes.Repeat([]byte{7}, 32)
	cmd, err := appliance.NewCommand(appliance.KindWebKeyCreate, "default", appliance.SystemActor, time.Now(), appliance.WebKeyCreate{Secret: base64.RawStdEncoding.EncodeToString(oldKey)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cmd.Encode()
	idx, _ := env.Store.AppliedIndex(ctx)
	if r := appliance.NewApplier(env.Store, apptest.Logger()).Apply(idx+1, b).(*appliance.Result); r.Err != nil {
		t.Fatal(r.Err)
	}

	// Log in once, so that whatever the server keeps is kept.
	home := func(cookie string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now().Unix()
	forge := func(key []byte) string {
		return session{Tenant: "default", User: admin.ID(), Issued: now, Seen: now, Epoch: 0}.encode(key)
	}
	key, err := env.Svc.SessionKey()
	if err != nil {
		t.Fatal(err)
	}
	if code := home(forge(key)); code != http.StatusOK {
		t.Fatalf("a cookie signed with the derived key: %d", code)
	}
	if code := home(forge(oldKey)); code == http.StatusOK {
		t.Fatal("a cookie signed with the key of web_keys opens a session")
	}
	var dump bytes.Buffer
	if err := env.Store.Dump(ctx, &dump); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{key, oldKey} {
		for _, enc := range []string{base64.RawStdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), hex.EncodeToString(k)} {
			if bytes.Contains(dump.Bytes(), []byte(enc)) {
				t.Fatalf("a session key is in the database: %s", enc)
			}
		}
	}
}

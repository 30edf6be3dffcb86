package onlyoffice

import (
	"testing"

	"missive/appliance/apptest"
	oo "missive/appliance/docserver"
)

// FuzzCallbackBody: a callback's body and Authorization header come from
// the network. verifyBody never panics, and accepts only what the secret
// signed: the status it returns is the signed one.
func FuzzCallbackBody(f *testing.F) {
	env := apptest.New(f, "")
	h := New(env.Svc, apptest.Logger(), Options{})
	cb := map[string]any{"key": "k1", "status": 2, "url": "https://office.example.org/cache/files/1/output.docx", "users": []string{"u1"}}
	body, _ := oo.Sign(secret, cb)
	hdr, _ := oo.Sign(secret, map[string]any{"payload": cb})
	f.Add([]byte(`{"key":"k1","status":2,"url":"https://office.example.org/x","token":"`+body+`"}`), "")
	f.Add([]byte(`{"key":"k1","status":6}`), "Bearer "+hdr)
	f.Add([]byte(`{"key":"k1","status":2}`), "")
	f.Add([]byte(`{"token":"a.b.c"}`), "Bearer x.y.z")
	f.Add([]byte(`[]`), "Bearer ")
	f.Fuzz(func(t *testing.T, raw []byte, authz string) {
		got, err := h.verifyBody(secret, raw, authz)
		if err != nil {
			return
		}
		if got.Status != 2 && got.Status != 6 {
			t.Fatalf("accepted a status nobody signed: %+v", got)
		}
	})
}

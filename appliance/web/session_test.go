package web

import (
	"strings"
	"testing"
)

func TestSessionCookieSignature(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	other := []byte("fedcba9876543210fedcba9876543210")
	ss := session{Tenant: "default", User: "u1", Issued: 100, Seen: 160, Epoch: 3}
	v := ss.encode(key)
	got, err := verifySession(v, func(string) ([]byte, error) { return key, nil })
	if err != nil || got != ss {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := verifySession(v, func(string) ([]byte, error) { return other, nil }); err == nil {
		t.Error("a cookie verifies under another tenant's key")
	}
	// Another user's cookie made by changing the payload, same signature.
	forged := session{Tenant: "default", User: "admin", Issued: 100, Seen: 160, Epoch: 3}.encode(key)
	p, _, _ := strings.Cut(forged, ".")
	_, s, _ := strings.Cut(v, ".")
	if _, err := verifySession(p+"."+s, func(string) ([]byte, error) { return key, nil }); err == nil {
		t.Error("a payload with another's signature verifies")
	}
	for _, bad := range []string{"", ".", "x.y", v + "x", "MXxh.fA"} {
		if _, err := verifySession(bad, func(string) ([]byte, error) { return key, nil }); err == nil {
			t.Errorf("%q verifies", bad)
		}
	}
	if csrfToken(key, ss) == csrfToken(key, session{Tenant: "default", User: "u1", Issued: 100, Seen: 160, Epoch: 4}) {
		t.Error("the CSRF token survives a new epoch")
	}
}

package web

import (
	"net/url"
	"strings"
	"testing"
)

// A session cookie is outside input: whatever its bytes, parsing never
// panics and nothing verifies but what the key signed.
func FuzzSessionCookie(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	good := session{Tenant: "default", User: "01abc", Issued: 1, Seen: 2, Epoch: 0}.encode(key)
	for _, s := range []string{good, "", ".", "MXxkZWZhdWx0fDAxYWJjfDF8MnwwIg.x", good + "=", strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ss, err := verifySession(v, func(string) ([]byte, error) { return key, nil })
		if err == nil && ss.encode(key) != v {
			t.Fatalf("%q verifies but is not what the key signed (%+v)", v, ss)
		}
	})
}

// The "next" of the login page never leaves the site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/baskets/mine?page=2", "//evil", "/\\evil", "https://evil", "/%2F%2Fevil", "\t/x", "/x#y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || u.Host != "" || u.Scheme != "" {
			t.Fatalf("localPath(%q) = %q leaves the site", next, got)
		}
	})
}

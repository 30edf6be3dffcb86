package docserver

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: whatever a Document Server (or anyone reaching the callback)
// sends as a token, Verify never panics, and what it accepts is exactly
// what the secret signed.
func FuzzVerify(f *testing.F) {
	const secret = "secret-partage-onlyoffice-1"
	now := time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)
	good, _ := Sign(secret, map[string]any{"key": "abc", "status": 2, "url": "https://office.example.org/cache/files/x.docx"})
	wrapped, _ := Sign(secret, map[string]any{"payload": map[string]any{"key": "abc", "status": 6}})
	grant, _ := Sign(secret, Grant{Purpose: Callback, Tenant: "default", Document: "d", User: "u", Exp: now.Add(time.Hour).Unix()})
	// The sample token of the Document Server's documentation (another secret).
	f.Add("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJwYXlsb2FkIjp7ImMiOiJpbmZvIiwia2V5IjoiS2hpcno2elRQZGZkNyJ9fQ.hGQ8kquQWpg4MQYiSYaIzik0wotP1coAop6QfLruenA")
	for _, s := range []string{good, wrapped, grant, "", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat(".", 5)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		claims, err := Verify(secret, tok, now)
		if err != nil {
			return
		}
		if !json.Valid(claims) {
			t.Fatalf("accepted claims that are not JSON: %q", claims)
		}
		parts := strings.Split(tok, ".")
		if again := mac(secret, parts[0]+"."+parts[1]); b64.EncodeToString(again) != parts[2] {
			t.Fatalf("accepted a token whose signature is not the secret's: %q", tok)
		}
		_, _ = CheckGrant(secret, tok, Download, now)
	})
}

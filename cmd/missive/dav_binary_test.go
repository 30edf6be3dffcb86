//go:build !bench

package main

import (
	"net/http"
	"strings"
	"testing"

	"missive/webdav/share/litmustest"
)

// The share as the installed product serves it: litmus against the admin's
// working folder at the contract's address, and against a letter's folder,
// both on the UI's listener with the password printed at first start; then
// the reply draft of the API contract opens at the URL it returns.
func TestShareOfTheBinary(t *testing.T) {
	t.Parallel()
	s := startMissive(t, t.TempDir())
	pw := s.firstPassword()
	litmustest.Run(t, s.url+"/dav/default/~admin/", "admin", pw)

	tok := s.token("admin")
	var l apiLetter
	s.must(http.StatusCreated, "POST", "/api/v1/letters", tok, map[string]any{
		"category": "incoming", "subject": "Demande d'élagage",
		"sender": map[string]string{"name": "Jeanne Dupont", "email": "jeanne.dupont@exemple.fr"},
	}, &l)
	folder := "/dav/default/" + strings.ReplaceAll(l.Number, "/", "-") + "/"
	litmustest.Run(t, s.url+folder, "admin", pw)

	var draft struct {
		URL string `json:"url"`
	}
	s.must(http.StatusCreated, "POST", "/api/v1/letters/"+l.ID+"/actions/draft", tok, nil, &draft)
	if !strings.HasPrefix(draft.URL, s.url+folder) || !strings.HasSuffix(draft.URL, ".odt") {
		t.Fatalf("draft url %q, want a file of %s", draft.URL, s.url+folder)
	}
	req, _ := http.NewRequest("GET", draft.URL, nil)
	req.SetBasicAuth("admin", pw)
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.oasis.opendocument.text" {
		t.Fatalf("GET draft: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The same file without credentials, or with another tenant's path: no.
	resp, err = apiClient.Get(draft.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous GET of the draft: %d", resp.StatusCode)
	}
}

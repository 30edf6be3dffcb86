//go:build !bench

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTenantSetOnlineAndOffline: `missive tenant set` changes the fields
// it is given, through the running server's control socket and on a
// stopped data dir alike; bad values are refused in French with exit 2
// and change nothing.
func TestTenantSetOnlineAndOffline(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")

	out := mustMissive(t, "", "tenant", "set", "--data", data, "--tenant", "default", "--name", "Ville de Saint-Martin",
		"--address", "1 place de la Mairie\n67000 Saint-Martin", "--phone", "03 88 00 00 00", "--email", "mairie@saint-martin.fr",
		"--website", "https://www.saint-martin.fr", "--alsace-moselle")
	if !strings.Contains(out, "Commune modifiée.") || !strings.Contains(out, "Ville de Saint-Martin") || !strings.Contains(out, "oui (Vendredi saint") {
		t.Errorf("tenant set said %q", out)
	}
	type tenant struct {
		Name, Address, Phone, Email, Website string
		AlsaceMoselle                        bool `json:"alsace_moselle"`
	}
	var got tenant
	s.must(200, "GET", "/api/v1/tenant", tok, nil, &got)
	want := tenant{"Ville de Saint-Martin", "1 place de la Mairie\n67000 Saint-Martin", "03 88 00 00 00", "mairie@saint-martin.fr", "https://www.saint-martin.fr", true}
	if got != want {
		t.Fatalf("running server's commune: %+v\nwant %+v", got, want)
	}
	// Acknowledgements then print them: an SVA request by post, its paper
	// acknowledgement read back with pdftotext.
	var dts []struct{ ID, Code string }
	s.must(200, "GET", "/api/v1/doctypes", tok, nil, &dts)
	var sva string
	for _, d := range dts {
		if d.Code == "DEMANDE-SVA" {
			sva = d.ID
		}
	}
	var l struct {
		ID, Number string
		DueDate    string `json:"due_date"`
	}
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Permis", "doctype_id": sva, "arrival_date": "2026-12-15",
		"sender": map[string]any{"name": "Hélène Lefèvre", "address": "3 rue des Écoles", "postcode": "67000", "city": "Saint-Martin"}}, &l)
	var doc struct {
		DocumentID string `json:"document_id"`
	}
	s.must(201, "POST", "/api/v1/letters/"+l.ID+"/postal-ack", tok, nil, &doc)
	code, pdf, err := s.call("GET", "/api/v1/documents/"+doc.DocumentID+"/content", tok, nil)
	if err != nil || code != 200 {
		t.Fatalf("download the acknowledgement: %d, %v", code, err)
	}
	text := pdfText(t, pdf)
	for _, w := range []string{"Ville de Saint-Martin", "1 place de la Mairie", "67000 Saint-Martin", "03 88 00 00 00", "mairie@saint-martin.fr",
		"15 décembre 2026", "réputée acceptée le 15 février 2027", l.Number} {
		if !strings.Contains(text, w) {
			t.Errorf("the acknowledgement lacks %q:\n%s", w, text)
		}
	}

	r := runMissive(t, "", "tenant", "set", "--data", data, "--email", "mairie@", "--phone", "accueil")
	if r.code != 2 || !strings.Contains(r.stderr, "adresse e-mail invalide") || !strings.Contains(r.stderr, "chiffres, espaces") {
		t.Errorf("bad values: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runMissive(t, "", "tenant", "set", "--data", data); r.code != 2 || !strings.Contains(r.stderr, "rien à changer") {
		t.Errorf("nothing given: exit %d, stderr %q", r.code, r.stderr)
	}
	s.stop()

	// Stopped: the same command opens the data dir; only the fields given change.
	mustMissive(t, "", "tenant", "set", "--data", data, "--phone", "03 88 00 00 01", "--alsace-moselle=false")
	show := mustMissive(t, "", "tenant", "show", "--data", data)
	for _, w := range []string{"Ville de Saint-Martin", "03 88 00 00 01", "mairie@saint-martin.fr", "Alsace-Moselle: non", "67000 Saint-Martin"} {
		if !strings.Contains(show, w) {
			t.Errorf("tenant show lacks %q:\n%s", w, show)
		}
	}
	s = startMissive(t, data)
	s.must(200, "GET", "/api/v1/tenant", tok, nil, &got)
	want.Phone, want.AlsaceMoselle = "03 88 00 00 01", false
	if got != want {
		t.Errorf("after the offline change: %+v\nwant %+v", got, want)
	}
	s.stop()
}

// pdfText is a PDF's words, read with poppler's pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext (paquet poppler-utils): %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

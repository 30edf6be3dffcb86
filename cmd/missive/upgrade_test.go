//go:build !bench

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"missive/appliance/store"
	"missive/installer"

	_ "modernc.org/sqlite"
)

// upgradeFixture is a data dir written by an earlier build (see
// installer/testdata/make-fixture.sh): two letters, a note, a document.
const upgradeFixture = "../../installer/testdata/data-64be91c.tar.gz"

// TestUpgradeFromFixture opens data written by the previous build with this
// one: the store is snapshotted, then migrated, and everything is still
// there and still verifies; a second start takes no second snapshot.
func TestUpgradeFromFixture(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	if out, err := exec.Command("tar", "-C", dir, "-xzf", upgradeFixture).CombinedOutput(); err != nil {
		t.Fatalf("extract %s: %v\n%s", upgradeFixture, err, out)
	}
	data := filepath.Join(dir, "data")
	schemaBefore := schemaVersion(t, filepath.Join(data, "missive.db"))

	s := instServe(t, nil, "--data", data, "--listen", "127.0.0.1:0")
	// The fixture's build predates the version stamp: it is "inconnue".
	snaps, _ := filepath.Glob(filepath.Join(data, installer.SnapshotsDir, "pre-upgrade-*-inconnue-vers-*.db"))
	if len(snaps) != 1 {
		t.Fatalf("pre-upgrade snapshots: %v, want one", snaps)
	}
	if got := schemaVersion(t, snaps[0]); got != schemaBefore {
		t.Fatalf("snapshot at schema %d, want the old schema %d (taken before migrating)", got, schemaBefore)
	}
	st, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	after, latest := schemaVersion(t, filepath.Join(data, "missive.db")), st.LatestSchema()
	st.Close()
	if after != latest {
		t.Fatalf("store at schema %d after start, want this build's %d", after, latest)
	}

	r := instRun(t, nil, "token", "create", "--data", data, "--user", "admin")
	if r.code != 0 {
		t.Fatalf("token create: %s", r.stderr)
	}
	token := strings.TrimSpace(r.stdout)
	get := func(path string, out any) []byte {
		t.Helper()
		req, _ := http.NewRequest("GET", strings.TrimSuffix(s.url, "/")+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
		return b
	}
	var found struct {
		Total int `json:"total"`
		Items []struct {
			ID     string `json:"id"`
			Number string `json:"number"`
		} `json:"items"`
	}
	get("/api/v1/letters?q=elagage", &found)
	if found.Total != 1 || found.Items[0].Number != "2026/A/000001" {
		t.Fatalf("search after upgrade: %+v", found)
	}
	// A word of the body only: the full-text index rebuilt without its copy
	// of the texts (migration 0019) still holds the old letters' words.
	get("/api/v1/letters?q=circulation", &found)
	if found.Total != 1 || found.Items[0].Number != "2026/A/000001" {
		t.Fatalf("search of a body word after upgrade: %+v", found)
	}
	get("/api/v1/letters?q=elagage", &found)
	var detail struct {
		Documents []struct {
			ID string `json:"id"`
		} `json:"documents"`
		Notes []struct {
			Text string `json:"text"`
		} `json:"notes"`
	}
	get("/api/v1/letters/"+found.Items[0].ID, &detail)
	if len(detail.Documents) != 1 || len(detail.Notes) != 1 || !strings.Contains(detail.Notes[0].Text, "3/12") {
		t.Fatalf("letter after upgrade: %+v", detail)
	}
	if b := get("/api/v1/documents/"+detail.Documents[0].ID+"/content", nil); string(b) != "scan du courrier\n" {
		t.Fatalf("document content after upgrade: %q", b)
	}
	// The build of the fixture seeded its SVA and SVR doctypes with 40
	// working days: they now count the law's two months, and the log says so.
	var doctypes []struct {
		Code      string `json:"code"`
		DelayDays int    `json:"delay_days"`
		DelayUnit string `json:"delay_unit"`
	}
	get("/api/v1/doctypes", &doctypes)
	for _, d := range doctypes {
		silence := d.Code == "DEMANDE-SVA" || d.Code == "DEMANDE-SVR"
		if silence && (d.DelayDays != 2 || d.DelayUnit != "months") || !silence && d.DelayUnit != "working_days" {
			t.Errorf("doctype %s after upgrade: %d %s", d.Code, d.DelayDays, d.DelayUnit)
		}
		if silence && !strings.Contains(s.stderr.String(), "doctype="+d.Code) {
			t.Errorf("the log does not name %s as converted to two months:\n%s", d.Code, s.stderr)
		}
	}
	s.stop(t)

	v := instRun(t, nil, "history", "verify", "--data", data)
	if v.code != 0 || !strings.Contains(v.stdout, "Historique intègre") {
		t.Fatalf("history verify after upgrade: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	// The fixture's entries were written before history signing: verify
	// says where the signed part begins (the token made above), not that
	// the history is broken.
	if m := regexp.MustCompile(`Entrées 1 à (\d+) écrites avant la signature de l'historique: seule la chaîne SHA-256 les protège. Entrées (\d+) à \d+ signées`).FindStringSubmatch(v.stdout); m == nil {
		t.Fatalf("history verify after upgrade does not say how far the signed part goes:\n%s", v.stdout)
	} else if anchor, _ := os.ReadFile(filepath.Join(data, "history-signed-from")); strings.TrimSpace(string(anchor)) != m[2] {
		t.Fatalf("history-signed-from says %q, verify %s", anchor, m[2])
	}
	if !strings.Contains(v.stdout, "avant l'empreinte des courriers, non vérifiables") {
		t.Fatalf("letters last changed before the digests are not said so:\n%s", v.stdout)
	}
	s = instServe(t, nil, "--data", data, "--listen", "127.0.0.1:0")
	s.stop(t)
	if again, _ := filepath.Glob(filepath.Join(data, installer.SnapshotsDir, "*.db")); len(again) != 1 {
		t.Fatalf("second start of the same build took another snapshot: %v", again)
	}
}

func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

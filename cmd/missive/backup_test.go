//go:build !bench

package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"missive/appliance/store/pgtest"
	"missive/backup/backuptest"
)

// The backup contract, on the built binary: run with the server running
// and stopped, an incremental run that sends almost nothing, list --json,
// restore into a new data dir that serves the same letters and documents
// and takes new writes, verify --read-data naming a damaged file.

const testPassphrase = "phrase de passe de la mairie de test"

// apiDocument is a document as the API lists it.
type apiDocument struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Versions []struct {
		SHA256 string `json:"sha256"`
	} `json:"versions"`
}

// uploadDocument attaches content to a letter through the API.
func (s *missiveServer) uploadDocument(token, letterID, name string, content []byte) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", s.url+"/api/v1/letters/"+letterID+"/documents", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := apiClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
}

// contents maps each letter's number to its subject and its documents'
// bytes, as the API serves them.
func (s *missiveServer) contents(token string) map[string]string {
	s.t.Helper()
	out := map[string]string{}
	for _, l := range s.allLetters(token) {
		var docs []apiDocument
		s.must(200, "GET", "/api/v1/letters/"+l.ID+"/documents", token, nil, &docs)
		sort.Slice(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
		var b strings.Builder
		b.WriteString(l.Subject)
		for _, d := range docs {
			req, _ := http.NewRequest("GET", s.url+"/api/v1/documents/"+d.ID+"/content", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := apiClient.Do(req)
			if err != nil {
				s.t.Fatal(err)
			}
			content, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				s.t.Fatalf("document %s: %d", d.Name, resp.StatusCode)
			}
			fmt.Fprintf(&b, "|%s:%d:%x", d.Name, len(content), content[:min(len(content), 16)])
			b.WriteString(fmt.Sprint(bytes.Count(content, []byte{0x42})))
		}
		out[l.Number] = b.String()
	}
	return out
}

// seedLetters registers n letters with a document each; every other one a
// 1.5 MB scan cut into several chunks.
func (s *missiveServer) seedLetters(token string, n int, tag string) {
	s.t.Helper()
	for i := range n {
		var l apiLetter
		s.must(201, "POST", "/api/v1/letters", token, map[string]any{"category": "incoming",
			"subject": fmt.Sprintf("Demande %s n° %d", tag, i), "sender": map[string]any{"name": "Jeanne Martin"}}, &l)
		size := 30_000
		if i%2 == 0 {
			size = 1_500_000
		}
		content := make([]byte, size)
		rand.Read(content)
		s.uploadDocument(token, l.ID, fmt.Sprintf("scan-%s-%d.pdf", tag, i), content)
	}
}

var sentRe = regexp.MustCompile(`dont (\S+ \S+) nouveaux; (\S+ \S+) envoyés`)

// parseSize reads "1,5 Mo" back into bytes.
func parseSize(t *testing.T, s string) float64 {
	t.Helper()
	num, unit, _ := strings.Cut(s, " ")
	v, err := strconv.ParseFloat(strings.Replace(num, ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("size %q: %v", s, err)
	}
	mult := map[string]float64{"o": 1, "ko": 1e3, "Mo": 1e6, "Go": 1e9}[unit]
	return v * mult
}

func TestBackupContractServerRunning(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	target := filepath.Join(filepath.Dir(data), "nas", "missive")
	os.MkdirAll(filepath.Dir(target), 0o700)
	s := startMissive(t, data)
	tok := s.token("admin")
	s.seedLetters(tok, 6, "a")

	out := mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	m := sentRe.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "vérifiée") {
		t.Fatalf("first run said %q", out)
	}
	first := parseSize(t, m[2])
	if first < 4e6 {
		t.Fatalf("first run sent %v bytes, the documents alone are 4.6 MB", first)
	}
	// Right after, nothing but the database's new chunks goes out.
	out = mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	m = sentRe.FindStringSubmatch(out)
	if m == nil || parseSize(t, m[2]) > first/20 {
		t.Fatalf("second run said %q; the first sent %v bytes", out, first)
	}

	var list []struct {
		ID           string    `json:"id"`
		Time         time.Time `json:"time"`
		AppliedIndex uint64    `json:"applied_index"`
		Verified     bool      `json:"verified"`
	}
	if err := json.Unmarshal([]byte(mustMissive(t, testPassphrase+"\n", "backup", "list", "--target", "file://"+target, "--passphrase-stdin", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Verified || !list[1].Verified || list[1].AppliedIndex <= list[0].AppliedIndex || list[0].ID == "" || list[1].Time.Before(list[0].Time) {
		t.Fatalf("list: %+v", list)
	}
	want := s.contents(tok)
	nLetters := len(want)

	restored := filepath.Join(filepath.Dir(data), "restaure")
	mustMissive(t, testPassphrase+"\n", "backup", "restore", "--target", "file://"+target, "--passphrase-stdin", "--to", restored, "--id", list[1].ID)
	verifyHistory(t, restored)
	s2 := startMissive(t, restored)
	tok2 := s2.token("admin")
	got := s2.contents(tok2)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the restored data dir serves other letters or documents:\n%v\nwant\n%v", got, want)
	}
	// The restored node takes writes: a fresh raft log did not make it
	// take new entries for ones it had applied.
	s2.seedLetters(tok2, 1, "après")
	if n := len(s2.allLetters(tok2)); n != nLetters+1 {
		t.Fatalf("after a write the restored node lists %d letters, want %d", n, nLetters+1)
	}
	s2.stop()
	verifyHistory(t, restored)
	s2 = startMissive(t, restored)
	if n := len(s2.allLetters(tok2)); n != nLetters+1 {
		t.Fatalf("after a restart the restored node lists %d letters, want %d", n, nLetters+1)
	}
	s2.stop()

	out = mustMissive(t, testPassphrase+"\n", "backup", "verify", "--target", "file://"+target, "--passphrase-stdin", "--read-data")
	if !strings.Contains(out, "2 sauvegarde(s) intègre(s)") {
		t.Fatalf("verify said %q", out)
	}
	// One byte changed in the biggest data file (a scan): verify names it.
	packs, _ := filepath.Glob(filepath.Join(target, "data", "*"))
	sort.Slice(packs, func(i, j int) bool { return fileSize(packs[i]) > fileSize(packs[j]) })
	b, _ := os.ReadFile(packs[0])
	b[len(b)/2] ^= 0x01
	os.WriteFile(packs[0], b, 0o600)
	r := runMissive(t, testPassphrase+"\n", "backup", "verify", "--target", "file://"+target, "--passphrase-stdin", "--read-data")
	if r.code == 0 || !strings.Contains(r.stdout, "data/"+filepath.Base(packs[0])) {
		t.Fatalf("verify after a flipped byte: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	s.stop()
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func TestBackupServerStoppedAndStatus(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	target := filepath.Join(filepath.Dir(data), "cible")
	s := startMissive(t, data)
	tok := s.token("admin")
	s.seedLetters(tok, 2, "b")
	s.stop()
	// No backup yet: status says so and fails.
	if r := runMissive(t, "", "backup", "status", "--data", data); r.code == 0 || !strings.Contains(r.stdout, "Aucune sauvegarde") {
		t.Fatalf("status before any backup: exit %d\n%s", r.code, r.stdout)
	}
	out := mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	if !strings.Contains(out, "vérifiée") {
		t.Fatalf("run with the server stopped said %q", out)
	}
	if out := mustMissive(t, "", "backup", "status", "--data", data); !strings.Contains(out, "Dernière sauvegarde vérifiée vers file://"+target) {
		t.Fatalf("status: %q", out)
	}
	if d := runMissive(t, "", "doctor", "--data", data); !strings.Contains(d.stdout, "OK          Dernière sauvegarde vérifiée vers file://"+target) {
		t.Fatalf("doctor after a backup:\n%s", d.stdout)
	}
	// A wrong passphrase: a clear error, nothing written.
	before := treeOf(t, target)
	r := runMissive(t, "pas la bonne phrase du tout\n", "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "phrase de passe incorrecte") {
		t.Fatalf("wrong passphrase: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := treeOf(t, target); after != before {
		t.Fatalf("a wrong passphrase changed the target:\n%s\n---\n%s", before, after)
	}
	// The failure is recorded: status fails and names it, so does doctor.
	r = runMissive(t, "", "backup", "status", "--data", data)
	if r.code == 0 || !strings.Contains(r.stdout, "phrase de passe incorrecte") {
		t.Fatalf("status after a failure: exit %d\n%s", r.code, r.stdout)
	}
	if d := runMissive(t, "", "doctor", "--data", data); d.code == 0 || !strings.Contains(d.stdout, "À CORRIGER  Échec de la sauvegarde vers file://"+target) {
		t.Fatalf("doctor after a failure: exit %d\n%s", d.code, d.stdout)
	}
}

func TestBackupRestoreIntoPostgreSQL(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	target := filepath.Join(filepath.Dir(data), "cible")
	s := startMissive(t, data)
	tok := s.token("admin")
	s.seedLetters(tok, 3, "pg")
	want := s.contents(tok)
	mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	s.stop()

	dsn := pgtest.DSN(t)
	restored := filepath.Join(filepath.Dir(data), "pg-data")
	mustMissive(t, testPassphrase+"\n", "backup", "restore", "--target", "file://"+target, "--passphrase-stdin", "--to", restored, "--db", dsn)
	mustMissive(t, "", "history", "verify", "--data", restored, "--db", dsn)
	s2 := startMissiveWith(t, restored, []string{"--db", dsn})
	tok2 := s2.token("admin")
	if got := s2.contents(tok2); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("PostgreSQL serves other letters:\n%v\nwant\n%v", got, want)
	}
	s2.seedLetters(tok2, 1, "pg-après")
	s2.stop()
	// Restoring into a database that is not empty is refused.
	r := runMissive(t, testPassphrase+"\n", "backup", "restore", "--target", "file://"+target, "--passphrase-stdin", "--to", filepath.Join(filepath.Dir(data), "autre"), "--db", dsn)
	if r.code == 0 || !strings.Contains(r.stderr, "n'est pas vide") {
		t.Fatalf("restore into a used database: exit %d\n%s", r.code, r.stderr)
	}
}

func treeOf(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			fmt.Fprintf(&b, "%s %d %v\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

func TestBackupToWebDAVAndSFTP(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")
	s.seedLetters(tok, 2, "c")
	dav := backuptest.StartWebDAV(t)
	ssh := backuptest.StartSSH(t)
	davURL := dav.URL + "sauvegardes"
	out := mustMissive(t, testPassphrase+"\n"+dav.Password+"\n", "backup", "run", "--data", data, "--target", davURL, "--passphrase-stdin", "--target-password-stdin")
	if !strings.Contains(out, "vérifiée sur "+davURL) {
		t.Fatalf("webdav: %q", out)
	}
	out = mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", ssh.URL, "--passphrase-stdin", "--ssh-key", ssh.KeyFile, "--known-hosts", ssh.KnownHosts)
	if !strings.Contains(out, "vérifiée sur "+ssh.URL) {
		t.Fatalf("sftp: %q", out)
	}
	s.stop()
	for _, args := range [][]string{
		{"--target", davURL, "--target-password-stdin"},
		{"--target", ssh.URL, "--ssh-key", ssh.KeyFile, "--known-hosts", ssh.KnownHosts},
	} {
		stdin := testPassphrase + "\n" + dav.Password + "\n"
		out := mustMissive(t, stdin, append([]string{"backup", "verify", "--passphrase-stdin", "--read-data"}, args...)...)
		if !strings.Contains(out, "1 sauvegarde(s) intègre(s)") {
			t.Fatalf("verify %v: %q", args, out)
		}
		to := filepath.Join(t.TempDir(), "restaure")
		mustMissive(t, stdin, append([]string{"backup", "restore", "--passphrase-stdin", "--to", to}, args...)...)
		verifyHistory(t, to)
	}
}

// TestBackupFaults: a backup killed with -9 leaves nothing listed and the
// next run reuses what it sent; an unreachable target fails clearly, fires
// one alert e-mail, and the next run succeeds.
func TestBackupFaults(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	target := filepath.Join(filepath.Dir(data), "cible")
	s := startMissive(t, data)
	tok := s.token("admin")
	for i := range 40 {
		var l apiLetter
		s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": fmt.Sprintf("Dossier %d", i)}, &l)
		content := make([]byte, 3_000_000)
		rand.Read(content)
		s.uploadDocument(tok, l.ID, fmt.Sprintf("plan-%d.pdf", i), content)
	}
	mustMissive(t, "", "mail", "relay", "set", "--data", data, "--host", "127.0.0.1", "--port", "2525", "--from", "mairie@ville.test")
	mustMissive(t, "", "user", "add", "--data", data, "--login", "dsi", "--role", "admin", "--email", "dsi@ville.test")
	s.stop()

	// kill -9 once the first packs are indexed, before the manifest.
	cmd := exec.Command(missiveBin, "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	cmd.Env = missiveEnv()
	cmd.Stdin = strings.NewReader(testPassphrase + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// Glob's * matches the temporary ".tmp-" files too: only renamed
		// (complete) files count.
		idx, _ := filepath.Glob(filepath.Join(target, "index", "[0-9a-f]*"))
		snaps, _ := filepath.Glob(filepath.Join(target, "snapshots", "[0-9]*"))
		if len(snaps) > 0 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the backup finished before it could be killed:\n%s", out.String())
		}
		if len(idx) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no index file after 2 minutes:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if list := mustMissive(t, testPassphrase+"\n", "backup", "list", "--target", "file://"+target, "--passphrase-stdin", "--json"); strings.TrimSpace(list) != "[]" {
		t.Fatalf("a killed backup is listed: %s", list)
	}
	res := mustMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", "file://"+target, "--passphrase-stdin")
	m := sentRe.FindStringSubmatch(res)
	if m == nil || parseSize(t, m[1]) > 100e6 {
		t.Fatalf("the run after the kill sent everything again (120 MB of documents): %q", res)
	}

	// The off-site server is down: the run fails plainly, one e-mail.
	ssh := backuptest.StartSSH(t)
	down := "sftp://sauvegarde@127.0.0.1:1/missive"
	for range 2 {
		r := runMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", down, "--passphrase-stdin", "--ssh-key", ssh.KeyFile, "--known-hosts", ssh.KnownHosts)
		if r.code == 0 || !strings.Contains(r.stdout, "ÉCHEC "+down) || !strings.Contains(r.stdout, "injoignable") {
			t.Fatalf("run to a server that is down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	if st := runMissive(t, "", "backup", "status", "--data", data); st.code == 0 || !strings.Contains(st.stdout, "injoignable") {
		t.Fatalf("status after the failure: exit %d\n%s", st.code, st.stdout)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "missive.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var alerts int
	var rcpt string
	if err := db.QueryRow(`SELECT COUNT(*), MAX(rcpt_to) FROM mail_outbox WHERE kind = 'alert'`).Scan(&alerts, &rcpt); err != nil || alerts != 1 || rcpt != "dsi@ville.test" {
		t.Fatalf("alert e-mails: %d to %q (%v), want one to dsi@ville.test", alerts, rcpt, err)
	}
	// Back up, the next run succeeds.
	r := runMissive(t, testPassphrase+"\n", "backup", "run", "--data", data, "--target", ssh.URL, "--passphrase-stdin", "--ssh-key", ssh.KeyFile, "--known-hosts", ssh.KnownHosts)
	if r.code != 0 || !strings.Contains(r.stdout, "vérifiée sur "+ssh.URL) {
		t.Fatalf("the run after the outage: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

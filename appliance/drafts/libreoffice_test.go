package drafts_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/webdav/share"
)

// The real peer: LibreOffice headless, driven through UNO by
// testdata/lo_edit.py, opens a reply draft on the WebDAV share with an
// agent's password (answered by the script's interaction handler), edits,
// saves and closes it. Missing LibreOffice or python3-uno fails the test:
// make deps (scripts/deps) installs them.

// python is Debian's interpreter, the one python3-uno installs into (a
// pyenv or venv python3 earlier in PATH cannot import uno).
func python(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Fatalf("python3 is required: %v", err)
		}
	}
	if out, err := exec.Command(py, "-c", "import uno, unohelper").CombinedOutput(); err != nil {
		t.Fatalf("%s cannot import uno (apt-get install python3-uno): %v\n%s", py, err, out)
	}
	return py
}

type loResult struct {
	Timings  map[string]float64 `json:"timings"`
	Asked    []string           `json:"asked"`
	ReadOnly bool               `json:"read_only"`
}

func TestLibreOfficeEditsDraftOverWebDAV(t *testing.T) {
	t.Parallel()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatalf("LibreOffice is required (apt-get install libreoffice-writer-nogui python3-uno): %v", err)
	}
	py := python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	env := apptest.New(t, "")
	svc := env.Svc
	ent, err := svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{Code: "URBA", Name: "Urbanisme"})
	if err != nil {
		t.Fatal(err)
	}
	const login, password = "agent.urba", "motdepasse-agent-urba"
	if _, err := svc.CreateUser(ctx, env.Admin, appliance.UserInput{Login: login, Name: "Agnès Urba", Role: domain.RoleAgent, Password: password,
		Entities: []domain.Membership{{EntityID: ent.ID}}}); err != nil {
		t.Fatal(err)
	}
	agent, err := svc.Authenticate(ctx, "default", login, password, "test")
	if err != nil {
		t.Fatal(err)
	}
	l, err := svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Permis de construire & clôture", EntityID: ent.ID,
		Sender: &appliance.ContactInput{FirstName: "Jeanne", LastName: "Dupont", Email: "jeanne@example.fr", Address: "3 rue Haute", Postcode: "38000", City: "Grenoble"}})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := svc.CreateDraft(ctx, agent, l.ID, "")
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	share.New(svc, apptest.Logger()).Register(mux)
	// Every request LibreOffice makes is in the test's log: when the round
	// trip fails, the exchange says where.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, code: 200}
		mux.ServeHTTP(rec, r)
		_, _, hasAuth := r.BasicAuth()
		t.Logf("dav: %s %s (auth %v, If %q, Lock-Token %q) → %d", r.Method, r.URL.Path, hasAuth, r.Header.Get("If"), r.Header.Get("Lock-Token"), rec.code)
	}))
	t.Cleanup(srv.Close)
	url := "vnd.sun.star.webdav://" + srv.Listener.Addr().String() + draft.Path
	marker := fmt.Sprintf("Réponse rédigée dans LibreOffice %d", time.Now().UnixNano())

	cmd := exec.CommandContext(ctx, py, "testdata/lo_edit.py", soffice, t.TempDir(), url, login, password, marker)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// The script starts soffice: on a timeout the whole process group
	// goes, and the pipes LibreOffice inherited do not hold Wait.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	lines := bufio.NewScanner(stdout)
	next := func(prefix string) string {
		t.Helper()
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix+" "); ok {
				return rest
			}
		}
		cmd.Wait()
		t.Fatalf("lo_edit.py ended before %s: %s", prefix, stderr.String())
		return ""
	}

	var opened loResult
	if err := json.Unmarshal([]byte(next("OPENED")), &opened); err != nil {
		t.Fatal(err)
	}
	t.Logf("LibreOffice opened %s (asked: %v)", draft.Path, opened.Asked)
	if opened.ReadOnly {
		t.Errorf("LibreOffice opened the draft read-only: it could not lock it (asked: %v)", opened.Asked)
	}
	if !contains(opened.Asked, "AuthenticationRequest") {
		t.Errorf("LibreOffice never asked for the password through the interaction handler (asked: %v)", opened.Asked)
	}
	for _, q := range opened.Asked {
		if q != "AuthenticationRequest" {
			t.Errorf("LibreOffice asked something else than the password: %s (a lock or I/O problem)", q)
		}
	}
	// While LibreOffice has it open, its LOCK holds: another client's PUT
	// without the lock token is refused and changes nothing.
	put := func(who, pw string) int {
		req, _ := http.NewRequestWithContext(ctx, "PUT", srv.URL+draft.Path, strings.NewReader("écrasé par un autre client"))
		req.SetBasicAuth(who, pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put("admin", apptest.AdminPassword); code != http.StatusLocked {
		t.Errorf("PUT without the lock token while LibreOffice edits: %d, want 423", code)
	}
	if d, err := svc.Document(ctx, env.Admin, draft.Document.ID); err != nil || len(d.Versions) != 1 {
		t.Fatalf("after the refused PUT: %v versions, %v", d, err)
	}

	io.WriteString(stdin, "continue\n")
	var res loResult
	if err := json.Unmarshal([]byte(next("RESULT")), &res); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lo_edit.py: %v\n%s", err, stderr.String())
	}
	tm := res.Timings
	t.Logf("LibreOffice open-edit-save cycle over WebDAV: open %.2fs, edit+save %.2fs, close %.2fs, cycle %.2fs (soffice start %.2fs; whole run %s)",
		tm["open_s"], tm["edit_save_s"], tm["close_s"], tm["cycle_s"], tm["start_s"], time.Since(start).Round(time.Millisecond))

	// The save is a new version of the letter's draft, by the agent, with
	// the edit in it.
	d, err := svc.Document(ctx, env.Admin, draft.Document.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Versions[len(d.Versions)-1]
	if len(d.Versions) < 2 || last.CreatedBy != agent.ID() {
		t.Fatalf("versions after LibreOffice saved: %+v", d.Versions)
	}
	content := odtContent(t, svc, env.Admin, d.ID)
	if !strings.Contains(content, marker) {
		t.Errorf("the saved version lacks the edit %q", marker)
	}
	if !strings.Contains(content, "Jeanne Dupont") || !strings.Contains(content, l.Number) {
		t.Errorf("the saved version lost the merged fields")
	}
	// LibreOffice unlocked on close: the other client may write now.
	if code := put("admin", apptest.AdminPassword); code != http.StatusNoContent && code != http.StatusCreated {
		t.Errorf("PUT after LibreOffice closed the draft: %d, want 201 or 204 (lock released)", code)
	}
}

func contains(xs []string, sub string) bool {
	for _, x := range xs {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}

func odtContent(t *testing.T, svc *appliance.Service, a *appliance.Actor, docID string) string {
	t.Helper()
	_, _, f, err := svc.OpenDocument(context.Background(), a, docID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("saved draft is not an ODT: %v", err)
	}
	for _, zf := range zr.File {
		if zf.Name == "content.xml" {
			rc, _ := zf.Open()
			c, _ := io.ReadAll(rc)
			rc.Close()
			return string(c)
		}
	}
	t.Fatal("saved draft has no content.xml")
	return ""
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

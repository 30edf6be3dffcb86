package ged

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store/pgtest"
)

// The GED is played by rclone's WebDAV server (Debian's rclone), a real
// WebDAV server with Basic authentication, as PEERS.md says. A missing
// rclone fails the tests: they never skip.

type rclone struct {
	t    testing.TB
	root string
	port int
	user string
	pass string
	cmd  *exec.Cmd
}

// newRclone prepares a WebDAV server over a temp dir with a "Courrier"
// folder, on a port of its own; start runs it.
func newRclone(t testing.TB) *rclone {
	t.Helper()
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Fatalf("rclone introuvable: installez le paquet Debian rclone (voir scripts/deps, lancé par make test)")
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "Courrier"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &rclone{t: t, root: root, port: apptest.FreePort(t), user: "ged", pass: "secret-ged-1"}
	t.Cleanup(r.stop)
	return r
}

func (r *rclone) url() string { return fmt.Sprintf("http://127.0.0.1:%d/Courrier/", r.port) }

func (r *rclone) start() {
	r.t.Helper()
	cmd := exec.Command("rclone", "serve", "webdav", r.root, "--addr", fmt.Sprintf("127.0.0.1:%d", r.port),
		"--user", r.user, "--pass", r.pass, "--config", filepath.Join(r.root, "rclone.conf"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start rclone: %v", err)
	}
	r.cmd = cmd
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stop()
	r.t.Fatalf("rclone serve webdav did not listen: %s", out.String())
}

func (r *rclone) stop() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

type fixture struct {
	env   *apptest.Env
	clk   *apptest.Clock
	ex    *Exporter
	ged   *rclone
	ctx   context.Context
	main  []byte
	reply []byte
	dt    *domain.Doctype // the letters' doctype, with a DUA and a sort final
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newFixture(t *testing.T, dsn string, opt Options) *fixture {
	t.Helper()
	env := apptest.New(t, dsn)
	clk := apptest.NewClock(time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC))
	env.Svc.Now = clk.Now
	box, err := appliance.NewSecretBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	env.Svc.Secrets = box
	if opt.RetryBase == 0 {
		opt.RetryBase, opt.RetryMax = time.Minute, time.Hour
	}
	return &fixture{env: env, clk: clk, ex: New(env.Svc, apptest.Logger(), opt), ged: newRclone(t), ctx: context.Background(),
		main: []byte("%PDF-1.4 courrier scanné de Mme Dupont\n"), reply: []byte("%PDF-1.4 réponse signée du maire\n")}
}

func (f *fixture) setTarget(t *testing.T, pass string) {
	t.Helper()
	if _, err := f.env.Svc.SetGEDTarget(f.ctx, f.env.Admin, appliance.GEDTargetInput{URL: f.ged.url(), Username: f.ged.user, Password: pass}); err != nil {
		t.Fatal(err)
	}
}

// closedLetter registers a letter with a scan and a reply PDF, and closes
// it. Its doctype keeps letters 10 years after their closing, then sorts
// them.
func (f *fixture) closedLetter(t *testing.T) *domain.Letter {
	t.Helper()
	svc, a := f.env.Svc, f.env.Admin
	if f.dt == nil {
		dt, err := svc.CreateDoctype(f.ctx, a, appliance.DoctypeInput{Code: "RACCORDEMENT", Label: "Demande de raccordement", DelayDays: 30,
			RetentionYears: 10, FinalDisposition: domain.DispositionSort})
		if err != nil {
			t.Fatal(err)
		}
		f.dt = dt
	}
	l, err := svc.RegisterLetter(f.ctx, a, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande de raccordement, rue des Écoles",
		DoctypeID: f.dt.ID, Sender: &appliance.ContactInput{LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.org"}},
		appliance.Upload{Name: "scan.pdf", Role: domain.DocMain, Body: bytes.NewReader(f.main)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Attach(f.ctx, a, l.ID, "", appliance.Upload{Name: "reponse.pdf", Role: domain.DocDraft, Body: bytes.NewReader(f.reply)}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(f.ctx, a, l.ID, "Réponse envoyée"); err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) exports(t *testing.T, l *domain.Letter) []domain.GEDExport {
	t.Helper()
	xs, err := f.env.Svc.LetterExports(f.ctx, f.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkArrived reads what the GED holds of the letter and checks it.
func (f *fixture) checkArrived(t *testing.T, l *domain.Letter) {
	t.Helper()
	dir := filepath.Join(f.ged.root, "Courrier", filepath.FromSlash(Folder(l.Number)))
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("in the GED: %v", err)
		}
		return b
	}
	if got := read("scan.pdf"); !bytes.Equal(got, f.main) {
		t.Errorf("scan.pdf = %q", got)
	}
	if got := read("reponse.pdf"); !bytes.Equal(got, f.reply) {
		t.Errorf("reponse.pdf = %q", got)
	}
	var m Metadata
	if err := json.Unmarshal(read("metadata.json"), &m); err != nil {
		t.Fatal(err)
	}
	if m.NumeroChrono != l.Number || m.Identifiant != l.ID || m.Objet != l.Subject || m.Categorie != "arrivée" ||
		m.Expediteur != "Marie Dupont" || m.Commune != "Commune de Test" || m.DateCloture == "" || m.DateArrivee == "" ||
		m.TypeDeCourrier != "Demande de raccordement" {
		t.Errorf("metadata.json = %+v", m)
	}
	// The doctype's retention; the fixture's clock closed the letter on
	// 16 March 2026.
	if m.DUA != "P10Y" || m.DUALibelle != "10 ans à compter de la clôture du courrier" || m.DUADateDepart != "2026-03-16" ||
		m.SortFinal != "trier" || m.SortFinalLibelle != "Tri" {
		t.Errorf("metadata.json retention: dua %q %q from %q, sort final %q %q", m.DUA, m.DUALibelle, m.DUADateDepart, m.SortFinal, m.SortFinalLibelle)
	}
	if len(m.Fichiers) != 2 {
		t.Fatalf("metadata.json lists %d files, want 2: %+v", len(m.Fichiers), m.Fichiers)
	}
	for _, fm := range m.Fichiers {
		if fm.Empreinte.Algorithme != "SHA-256" || fm.Empreinte.Valeur != sum(read(fm.Nom)) {
			t.Errorf("%s: empreinte %+v, file's SHA-256 %s", fm.Nom, fm.Empreinte, sum(read(fm.Nom)))
		}
	}
	if m.Fichiers[0].Role != "document_principal" || m.Fichiers[1].Role != "reponse" {
		t.Errorf("roles: %+v", m.Fichiers)
	}
	rows, err := csv.NewReader(bytes.NewReader(read("metadata.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][1] != "numero_chrono" || rows[1][1] != l.Number || rows[2][len(rows[2])-1] != sum(f.reply) {
		t.Fatalf("metadata.csv = %q", rows)
	}
	col := map[string]string{}
	for i, name := range rows[0] {
		col[name] = rows[1][i]
	}
	if col["dua"] != "P10Y" || col["dua_date_depart"] != "2026-03-16" || col["sort_final"] != "trier" || col["sort_final_libelle"] != "Tri" {
		t.Errorf("metadata.csv retention: %q", col)
	}
}

func TestExportOnCloseToRcloneWebDAV(t *testing.T) {
	t.Parallel()
	apptest.ForEachDialect(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, Options{})
		f.ged.start()
		f.setTarget(t, f.ged.pass)
		l := f.closedLetter(t)
		xs := f.exports(t, l)
		if len(xs) != 1 || xs[0].Status != appliance.GEDQueued || xs[0].Reason != appliance.GEDReasonClose {
			t.Fatalf("closing queued %+v", xs)
		}
		if err := f.ex.ExportDue(f.ctx); err != nil {
			t.Fatal(err)
		}
		xs = f.exports(t, l)
		want := f.ged.url() + "2026/" + strings.ReplaceAll(l.Number, "/", "-") + "/"
		if xs[0].Status != appliance.GEDDone || xs[0].Location != want || xs[0].Attempts != 1 || xs[0].DoneAt == "" {
			t.Fatalf("after export: %+v (want location %s)", xs[0], want)
		}
		f.checkArrived(t, l)

		// On demand again: the same files are overwritten, nothing doubles.
		os.WriteFile(filepath.Join(f.ged.root, "Courrier", filepath.FromSlash(Folder(l.Number)), "scan.pdf"), []byte("abîmé"), 0o644)
		x, err := f.env.Svc.ExportLetter(f.ctx, f.env.Admin, l.ID)
		if err != nil || x.Reason != appliance.GEDReasonManual {
			t.Fatalf("export on demand: %+v, %v", x, err)
		}
		again, err := f.env.Svc.ExportLetter(f.ctx, f.env.Admin, l.ID)
		if err != nil || again.ID != x.ID {
			t.Fatalf("a second ask while one waits should return it: %+v, %v", again, err)
		}
		if err := f.ex.ExportDue(f.ctx); err != nil {
			t.Fatal(err)
		}
		if xs = f.exports(t, l); len(xs) != 2 || xs[0].Status != appliance.GEDDone {
			t.Fatalf("exports: %+v", xs)
		}
		f.checkArrived(t, l)
		entries, _ := os.ReadDir(filepath.Join(f.ged.root, "Courrier", filepath.FromSlash(Folder(l.Number))))
		if len(entries) != 4 {
			t.Errorf("folder holds %d entries, want 4", len(entries))
		}
	})
}

func TestExportRetriesUntilGEDIsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "", Options{})
	f.setTarget(t, f.ged.pass) // the server is down
	l := f.closedLetter(t)
	for i := 1; i <= 2; i++ {
		if err := f.ex.ExportDue(f.ctx); err != nil {
			t.Fatal(err)
		}
		x := f.exports(t, l)[0]
		if x.Status != appliance.GEDQueued || x.Attempts != i || x.LastError == "" || x.NextTry <= f.clk.Now().UTC().Format(domain.TimeLayout) {
			t.Fatalf("attempt %d: %+v", i, x)
		}
		// Not due yet: nothing is tried.
		if err := f.ex.ExportDue(f.ctx); err != nil {
			t.Fatal(err)
		}
		if x2 := f.exports(t, l)[0]; x2.Attempts != i {
			t.Fatalf("tried before its time: %+v", x2)
		}
		f.clk.Add(time.Hour)
	}
	f.ged.start()
	if err := f.ex.ExportDue(f.ctx); err != nil {
		t.Fatal(err)
	}
	if x := f.exports(t, l)[0]; x.Status != appliance.GEDDone || x.Attempts != 3 {
		t.Fatalf("after the GED came back: %+v", x)
	}
	f.checkArrived(t, l)
}

func TestExportWrongPasswordShownThenFixed(t *testing.T) {
	t.Parallel()
	apptest.ForEachDialect(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, Options{MaxAttempts: 2})
		f.ged.start()
		f.setTarget(t, "mauvais-mot-de-passe")
		l := f.closedLetter(t)
		for range 2 {
			if err := f.ex.ExportDue(f.ctx); err != nil {
				t.Fatal(err)
			}
			f.clk.Add(time.Hour)
		}
		x := f.exports(t, l)[0]
		if x.Status != appliance.GEDFailed || !strings.Contains(x.LastError, "accès refusé") || strings.Contains(x.LastError, "mauvais-mot-de-passe") {
			t.Fatalf("after a wrong password: %+v", x)
		}
		// The letter page shows the error: the view's history says it too.
		v, err := f.env.Svc.View(f.ctx, f.env.Admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range v.History {
			found = found || strings.Contains(h.Summary, "Export vers la GED abandonné")
			if strings.Contains(h.Payload, f.ged.pass) || strings.Contains(h.Payload, "mauvais-mot-de-passe") {
				t.Errorf("a password in the history: %s", h.Payload)
			}
		}
		if !found {
			t.Errorf("history does not tell the failure: %+v", v.History)
		}
		// Fixing the password queues the failed export again: nothing is lost.
		f.setTarget(t, f.ged.pass)
		if err := f.ex.ExportDue(f.ctx); err != nil {
			t.Fatal(err)
		}
		if x := f.exports(t, l)[0]; x.Status != appliance.GEDDone {
			t.Fatalf("after fixing the password: %+v", x)
		}
		f.checkArrived(t, l)
		if g, _ := f.env.Store.Reader().GEDTarget(f.ctx, "default"); !appliance.IsSealed(g.Secret) {
			t.Errorf("the GED password is stored in clear")
		}
		all, _ := f.env.Store.Reader().History(f.ctx, "default", "", 1000, 0)
		for _, h := range all {
			if strings.Contains(h.Payload, f.ged.pass) {
				t.Errorf("the GED password is in the history: %s", h.Kind)
			}
		}
	})
}

func TestExportRefusedOutsidePerimeter(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx := context.Background()
	l, err := env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Courrier de la mairie"})
	if err != nil {
		t.Fatal(err)
	}
	// Without a target, an export cannot be asked.
	if _, err := env.Svc.ExportLetter(ctx, env.Admin, l.ID); err == nil {
		t.Fatal("export without a GED accepted")
	}
	if _, err := env.Svc.SetGEDTarget(ctx, env.Admin, appliance.GEDTargetInput{URL: "http://127.0.0.1:1/dav/"}); err != nil {
		t.Fatal(err)
	}
	ent, err := env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{Code: "VOIRIE", Name: "Voirie"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.Svc.CreateUser(ctx, env.Admin, appliance.UserInput{Login: "agent", Name: "Agent", Role: domain.RoleAgent, Password: "motdepasse-agent-1",
		Entities: []domain.Membership{{EntityID: ent.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	agent, err := env.Svc.ActorFor(ctx, "default", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.ExportLetter(ctx, agent, l.ID); err == nil {
		t.Fatal("an agent exported a letter outside their perimeter")
	}
	if _, err := env.Svc.LetterExports(ctx, agent, l.ID); err == nil {
		t.Fatal("an agent read the exports of a letter outside their perimeter")
	}
	if _, err := env.Svc.SetGEDTarget(ctx, agent, appliance.GEDTargetInput{URL: "http://127.0.0.1:1/x/"}); err == nil {
		t.Fatal("an agent set the GED")
	}
	for _, bad := range []string{"ftp://ged/", "http://user:pw@ged/", "http://ged/?a=b", "ged/x"} {
		if _, err := env.Svc.SetGEDTarget(ctx, env.Admin, appliance.GEDTargetInput{URL: bad}); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
}

func TestPickAndNames(t *testing.T) {
	t.Parallel()
	v := func(at, mime string) []domain.Version {
		return []domain.Version{{Version: 1, SHA256: "x", MIME: mime, CreatedAt: at}}
	}
	docs := []domain.Document{
		{ID: "m", Role: domain.DocMain, Name: "scan.pdf", Versions: v("1", "application/pdf")},
		{ID: "a", Role: domain.DocAttachment, Name: "pj.txt", Versions: v("2", "text/plain")},
		{ID: "d1", Role: domain.DocDraft, Name: "projet.odt", Versions: v("5", "application/vnd.oasis.opendocument.text")},
		{ID: "d2", Role: domain.DocDraft, Name: "projet.pdf", Versions: v("4", "application/pdf")},
	}
	got := pick(docs, "2026/A/000001")
	if len(got) != 2 || got[0].doc.ID != "m" || got[1].doc.ID != "d2" {
		t.Fatalf("pick = %+v", got)
	}
	docs = append(docs, domain.Document{ID: "f", Role: "final", Name: "reponse.pdf", Versions: v("3", "application/pdf")})
	if got := pick(docs, "2026/A/000001"); got[1].doc.ID != "f" {
		t.Fatalf("the document marked final should win: %+v", got[1].doc)
	}
	docs = append(docs, domain.Document{ID: "n", Role: domain.DocDraft, Name: "reponse-2026-A-000001.pdf", Versions: v("0", "application/pdf")})
	if got := pick(docs, "2026/A/000001"); got[1].doc.ID != "n" {
		t.Fatalf("the final answer the drafts make should win: %+v", got[1].doc)
	}
	used := map[string]bool{"metadata.json": true}
	if a, b, c := uniqueName(used, "scan.pdf", "x"), uniqueName(used, "scan.pdf", "reponse"), uniqueName(used, "metadata.json", "reponse"); a != "scan.pdf" || b == a || c == "metadata.json" {
		t.Fatalf("names %q %q %q", a, b, c)
	}
	if Folder("2026/A/000123") != "2026/2026-A-000123/" {
		t.Fatal(Folder("2026/A/000123"))
	}
	if _, err := http.NewRequest("GET", location("http://h/a b/", Folder("2026/A/1")), nil); err != nil {
		t.Fatal(err)
	}
}

// Exports run on the leader only, and start on a node the moment it
// becomes leader (a failover), not at its next tick (an hour here): the
// exporter waits on the change of leadership.
func TestExportStartsWhenThisNodeBecomesLeader(t *testing.T) {
	t.Parallel()
	var leader atomic.Bool
	var mu sync.Mutex
	changed := make(chan struct{})
	wait := func() <-chan struct{} { mu.Lock(); defer mu.Unlock(); return changed }
	f := newFixture(t, "", Options{Interval: time.Hour, Leader: leader.Load, LeaderChanged: wait})
	f.ged.start()
	f.setTarget(t, f.ged.pass)
	l := f.closedLetter(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.ex.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	passAfterKick(t, f.ex.kick)
	if xs := f.exports(t, l); xs[0].Status != appliance.GEDQueued {
		t.Fatalf("a node that does not lead exported: %+v", xs)
	}
	leader.Store(true)
	mu.Lock() // raft elected this node
	close(changed)
	changed = make(chan struct{})
	mu.Unlock()
	apptest.Eventually(t, 30*time.Second, "the new leader exported", func() bool { return f.exports(t, l)[0].Status == appliance.GEDDone })
}

// passAfterKick returns once the loop reading kick (a buffer of one) has
// run a whole pass after a kick: the second send waits for the loop to take
// the first, the third for it to come back to its select after that pass.
func passAfterKick(t *testing.T, kick chan struct{}) {
	t.Helper()
	for range 3 {
		select {
		case kick <- struct{}{}:
		case <-time.After(30 * time.Second):
			t.Fatal("the loop did not come back to take a kick")
		}
	}
}

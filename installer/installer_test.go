package installer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"missive/appliance/config"
	"missive/systemd"
)

func TestJournalRollback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var log bytes.Buffer
	j := NewJournal(&log)
	kept := filepath.Join(dir, "etc", "missive.toml")
	os.MkdirAll(filepath.Dir(kept), 0o755)
	os.WriteFile(kept, []byte("ancien"), 0o600)
	if err := j.MkdirAll(filepath.Join(dir, "var", "lib", "missive"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := j.WriteFile(filepath.Join(dir, "var", "lib", "missive", "x"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := j.WriteFile(kept, []byte("nouveau"), 0o640); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(kept); string(b) != "nouveau" {
		t.Fatalf("WriteFile wrote %q", b)
	}
	failed := errors.New("boom")
	j.Did("étape impossible à défaire", func() error { return failed })
	err := j.Rollback()
	if !errors.Is(err, failed) {
		t.Fatalf("Rollback: %v, want the failed undo reported", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "var")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("created folders left behind: %v", err)
	}
	if b, _ := os.ReadFile(kept); string(b) != "ancien" {
		t.Fatalf("replaced file restored as %q", b)
	}
	if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored mode %v", fi.Mode().Perm())
	}
	for _, want := range []string{"fait: créer " + filepath.Join(dir, "var"), "annulé: remplacer " + kept, "annulation impossible: étape impossible à défaire"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("journal lacks %q:\n%s", want, log.String())
		}
	}
	if err := j.Rollback(); err != nil {
		t.Fatalf("second Rollback redid steps: %v", err)
	}
}

func TestUnit(t *testing.T) {
	t.Parallel()
	u, err := Unit("/usr/local/bin/missive", "/etc/missive/missive.toml", "/srv/missive")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "\nExecStart=/usr/local/bin/missive serve --config /etc/missive/missive.toml\n") || !strings.Contains(u, "\nReadWritePaths=/srv/missive\n") {
		t.Fatalf("unit not adapted:\n%s", u)
	}
	if strings.Count(u, "\n") != strings.Count(systemd.Unit, "\n") || !strings.Contains(u, "ProtectSystem=strict") {
		t.Fatal("unit lost lines of the packaged one")
	}
	for _, bad := range [][3]string{
		{"missive", "/etc/m.toml", "/srv/m"},
		{"/opt/mes programmes/missive", "/etc/m.toml", "/srv/m"},
		{"/usr/bin/missive", "/etc/m.toml\nUser=root", "/srv/m"},
		{"/usr/bin/missive", "/etc/m.toml", "/srv/m;rm"},
	} {
		if _, err := Unit(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("Unit%q accepted", bad)
		}
	}
}

func TestPackagedConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "missive.toml")
	if err := os.WriteFile(p, PackagedConfig, 0o640); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatalf("the packaged config does not load: %v", err)
	}
	if c.Data != "/var/lib/missive" || c.TLS != "" {
		t.Fatalf("packaged config: %+v", c)
	}
	if err := CheckConfigReplaceable(p); err != nil {
		t.Fatalf("the untouched packaged config is replaceable: %v", err)
	}
	os.WriteFile(p, append(PackagedConfig, "log_level = \"debug\"\n"...), 0o640)
	if err := CheckConfigReplaceable(p); !errors.Is(err, ErrConfigExists) {
		t.Fatalf("an edited config: %v, want ErrConfigExists", err)
	}
	if err := CheckConfigReplaceable(filepath.Join(dir, "absent.toml")); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFileDocumentsItself(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.Hostname, c.TLS, c.Listen = "courrier.ville.fr", config.TLSInternal, ":443"
	b, err := ConfigFile(c, time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), "missive quickstart --hostname courrier.ville.fr")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "m.toml")
	os.WriteFile(p, b, 0o600)
	back, err := config.Load(p)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, c)
	}
	for _, want := range []string{"# le 02/03/2026 à 09:30.", "# Nom public du serveur", `hostname = "courrier.ville.fr"`, `tls = "internal"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config file lacks %q", want)
		}
	}
}

func TestDataDirFresh(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := CheckDataDirFresh(filepath.Join(dir, "absent")); err != nil {
		t.Fatal(err)
	}
	if err := CheckDataDirFresh(dir); err != nil {
		t.Fatalf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "missive.db"), nil, 0o600)
	if err := CheckDataDirFresh(dir); err == nil || !strings.Contains(err.Error(), "missive.db") {
		t.Fatalf("dir with data: %v", err)
	}
}

func TestPreUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	// A new data dir: nothing to protect.
	if p, err := PreUpgrade(ctx, dir, "", "1.0.0", log); err != nil || p != "" {
		t.Fatalf("new dir: %q %v", p, err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "missive.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Left open in WAL mode, as a crashed server would leave it.
	if _, err := db.Exec(`CREATE TABLE letters (n TEXT); INSERT INTO letters VALUES ('2026/A/000001')`); err != nil {
		t.Fatal(err)
	}
	if err := MarkVersion(dir, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if p, err := PreUpgrade(ctx, dir, "", "1.0.0", log); err != nil || p != "" {
		t.Fatalf("same build: %q %v", p, err)
	}
	p, err := PreUpgrade(ctx, dir, "", "1.1.0", log)
	if err != nil || !strings.Contains(filepath.Base(p), "-1.0.0-vers-1.1.0.db") {
		t.Fatalf("upgrade: %q %v", p, err)
	}
	snap, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var n string
	if err := snap.QueryRow(`SELECT n FROM letters`).Scan(&n); err != nil || n != "2026/A/000001" {
		t.Fatalf("snapshot content: %q %v", n, err)
	}
	snap.Close()
	// PostgreSQL stores are the DBA's to back up.
	if p, err := PreUpgrade(ctx, dir, "postgres://missive@db/missive", "1.2.0", log); err != nil || p != "" {
		t.Fatalf("postgres: %q %v", p, err)
	}
	// Only the newest few are kept.
	for i := range KeepSnapshots + 2 {
		old := filepath.Join(dir, SnapshotsDir, "pre-upgrade-2020010"+string(rune('1'+i))+"T000000Z-a-vers-b.db")
		os.WriteFile(old, nil, 0o600)
	}
	if _, err := PreUpgrade(ctx, dir, "", "2.0.0", log); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, SnapshotsDir, "pre-upgrade-*.db"))
	if len(left) != KeepSnapshots || !strings.Contains(left[len(left)-1], "vers-2.0.0") {
		t.Fatalf("after pruning: %v", left)
	}
}

// TestProgram: kardianos/service's Start must return at once (the server
// runs on its own), and Stop must cancel the server's context and wait for
// it to drain.
func TestProgram(t *testing.T) {
	t.Parallel()
	p, ctx := NewProgram(context.Background())
	drained := make(chan struct{})
	go func() {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // the in-flight requests
		close(drained)
		p.Drained()
	}()
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("Start cancelled the server")
	}
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-drained:
	default:
		t.Fatal("Stop returned before the server drained")
	}
	stuck, _ := NewProgram(context.Background())
	stuck.StopTimeout = 50 * time.Millisecond
	if err := stuck.Stop(nil); err == nil {
		t.Fatal("Stop of a server that never drains reported success")
	}
}

// The folders of file:// backups are writable by the service, and a NAS
// that is not mounted does not stop it from starting ("-").
func TestUnitBackupDirs(t *testing.T) {
	t.Parallel()
	u, err := Unit("/usr/bin/missive", "/etc/missive/missive.toml", "/var/lib/missive", "/mnt/nas/missive")
	if err != nil || !strings.Contains(u, "\nReadWritePaths=/var/lib/missive -/mnt/nas/missive\n") {
		t.Fatalf("unit: %v\n%s", err, u)
	}
	if _, err := Unit("/usr/bin/missive", "/etc/missive/missive.toml", "/var/lib/missive", "/mnt/mon nas"); err == nil {
		t.Fatal("a path with a space was written into the unit")
	}
}

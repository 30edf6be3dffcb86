package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/config"
	"missive/appliance/domain"
	"missive/appliance/web"
	"missive/backup"
)

// backupSite is a site whose admin pages run real backups to a folder.
func backupSite(t *testing.T) (*site, *backup.Manager) {
	t.Helper()
	env := apptest.New(t, "")
	if err := env.WriteSecretKey(); err != nil {
		t.Fatal(err)
	}
	clk := apptest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, domain.Paris))
	blobs, err := blob.Open(env.Dir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pass := filepath.Join(dir, "phrase")
	os.WriteFile(pass, []byte("phrase de passe de la page d'administration\n"), 0o600)
	m := &backup.Manager{Src: backup.Source{Store: env.Store, Blobs: blobs, DataDir: env.Dir}, Rec: env.Svc, Config: config.Backup{
		Schedule: "02:30", PassphraseFile: pass, KeepDaily: 7, Targets: []config.BackupTarget{{URL: "file://" + filepath.Join(dir, "nas")}}}}
	mux := http.NewServeMux()
	web.New(env.Svc, apptest.Logger(), web.Options{Now: clk.Now, Backup: m}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &site{Env: env, URL: srv.URL, Clock: clk}
	if _, err := env.Svc.CreateUser(t.Context(), env.Admin, appliance.UserInput{Login: "julien", Name: "Julien", Role: domain.RoleAgent, Password: agentPassword,
		Entities: []domain.Membership{{EntityID: rootEntity(t, env)}}}); err != nil {
		t.Fatal(err)
	}
	return s, m
}

func waitIdle(t *testing.T, m *backup.Manager) {
	t.Helper()
	apptest.Eventually(t, time.Minute, "the backup finished", func() bool { return !m.Running() })
}

func TestBackupsPage(t *testing.T) {
	t.Parallel()
	s, m := backupSite(t)
	admin := s.browser(t)
	admin.login("admin", apptest.AdminPassword)
	// No backup yet: every admin page says so, the home first.
	p := admin.get("/admin/")
	if p.Code != http.StatusSeeOther {
		t.Fatalf("admin home: %d", p.Code)
	}
	p = must(t, admin.get(p.Location), 200)
	if !strings.Contains(p.Body, `id="backup-alert"`) || !strings.Contains(p.Body, "Aucune sauvegarde n&#39;a encore été faite") {
		t.Fatalf("the admin home shows no backup alert:\n%.2000s", p.Body)
	}
	p = must(t, admin.get("/admin/backups"), 200)
	if !strings.Contains(p.Body, "imprimez-la") || !strings.Contains(p.Body, "chaque jour à 02:30") {
		t.Fatalf("the page does not tell to print the passphrase:\n%.3000s", p.Body)
	}
	// "Sauvegarder maintenant" needs the form's CSRF token.
	if p := admin.post("/admin/backups", url.Values{"csrf": {"faux"}}); p.Code != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF token: %d", p.Code)
	}
	must(t, admin.post("/admin/backups", url.Values{}), http.StatusSeeOther)
	waitIdle(t, m)
	p = must(t, admin.get("/admin/backups"), 200)
	if !strings.Contains(p.Body, "réussie") || !strings.Contains(p.Body, "bouton") || strings.Contains(p.Body, `id="backup-alert"`) {
		t.Fatalf("after a backup:\n%.4000s", p.Body)
	}
	agent := s.browser(t)
	agent.login("julien", agentPassword)
	if p := agent.get("/admin/backups"); p.Code != http.StatusForbidden {
		t.Fatalf("an agent opened the backups page: %d", p.Code)
	}
}

// TestBackupsBrowser clicks "Sauvegarder maintenant" in Chromium and sees
// the verified backup listed.
func TestBackupsBrowser(t *testing.T) {
	t.Parallel()
	s, m := backupSite(t)
	c := newChrome(t, s.URL)
	admin := c.user()
	admin.login("admin", apptest.AdminPassword)
	admin.run("open the backups page", chromedp.Navigate(s.URL+"/admin/backups"), chromedp.WaitVisible(`#backup-now`, chromedp.ByQuery))
	admin.waitText("#backup-alert", "Aucune sauvegarde")
	admin.run("back up now", chromedp.Click(`#backup-now`, chromedp.ByQuery))
	admin.waitText(".flash", "Sauvegarde lancée")
	waitIdle(t, m)
	admin.run("reload", chromedp.Navigate(s.URL+"/admin/backups"))
	admin.waitText("#backup-runs", "réussie")
	admin.waitText("#backup-runs", "oui")
	admin.screenshot("admin-backups")
	var alert bool
	admin.eval(`document.querySelector("#backup-alert") !== null`, &alert)
	if alert {
		t.Fatal("the alert stays after a verified backup")
	}
}

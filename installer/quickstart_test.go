package installer

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"missive/appliance/config"
)

// quickstartOpts is a --no-service install into a temporary folder, with
// the local authority and a stand-in for the node's first start.
func quickstartOpts(t *testing.T) QuickstartOptions {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Hostname, cfg.TLS, cfg.Listen = "Courrier.Ville.FR.", config.TLSInternal, "127.0.0.1:8443"
	cfg.Data = filepath.Join(dir, "data")
	return QuickstartOptions{
		Config: cfg, ConfigPath: filepath.Join(dir, "etc", "missive.toml"), NoService: true,
		BackupTargets: []string{"file:///mnt/nas/missive"},
		Command:       "missive quickstart --no-service", Version: "test",
		InitData: func(ctx context.Context, cfg config.Config, log *slog.Logger) (string, error) {
			return "mot-de-passe", os.WriteFile(filepath.Join(cfg.Data, "missive.db"), nil, 0o600)
		},
	}
}

func TestQuickstartNoService(t *testing.T) {
	t.Parallel()
	o := quickstartOpts(t)
	res, err := Quickstart(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Config
	if cfg.Hostname != "courrier.ville.fr" || cfg.BaseURL != "https://courrier.ville.fr:8443" || cfg.User != "" {
		t.Errorf("completed config: hostname %q, base URL %q, user %q", cfg.Hostname, cfg.BaseURL, cfg.User)
	}
	back, err := config.Load(o.ConfigPath)
	if err != nil || back.Hostname != cfg.Hostname || len(back.Backup.Targets) != 1 || back.Backup.Targets[0].URL != "file:///mnt/nas/missive" {
		t.Fatalf("written config: %v %+v", err, back)
	}
	if !regexp.MustCompile(`^([a-z2-9]{5}-){5}[a-z2-9]{5}$`).MatchString(res.Passphrase) {
		t.Errorf("passphrase %q: six groups of five", res.Passphrase)
	}
	if b, err := os.ReadFile(cfg.Backup.PassphraseFile); err != nil || strings.TrimSpace(string(b)) != res.Passphrase {
		t.Errorf("passphrase file: %v %q", err, b)
	}
	if res.Password != "mot-de-passe" || res.Leaf == nil || res.Leaf.VerifyHostname("courrier.ville.fr") != nil {
		t.Errorf("result: password %q, leaf %v", res.Password, res.Leaf)
	}
	if log, err := os.ReadFile(res.LogPath); err != nil || !strings.Contains(string(log), "terminé") {
		t.Errorf("journal %s: %v\n%s", res.LogPath, err, log)
	}
}

// Bad flags and an existing installation are refused before anything is
// written.
func TestQuickstartRefuses(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(o *QuickstartOptions){
		"no hostname": func(o *QuickstartOptions) { o.Config.Hostname = "" },
		"plain http":  func(o *QuickstartOptions) { o.Config.TLS = config.TLSNone },
		"missing cert": func(o *QuickstartOptions) {
			o.Config.TLS, o.Config.CertFile, o.Config.KeyFile = config.TLSFiles, "/absent.pem", "/absent.key"
		},
		"installed": func(o *QuickstartOptions) {
			os.MkdirAll(filepath.Dir(o.ConfigPath), 0o755)
			os.WriteFile(o.ConfigPath, []byte("hostname = \"autre\"\n"), 0o600)
		},
		"data": func(o *QuickstartOptions) {
			os.MkdirAll(o.Config.Data, 0o750)
			os.WriteFile(filepath.Join(o.Config.Data, "missive.db"), nil, 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			o := quickstartOpts(t)
			change(&o)
			before := tree(t, filepath.Dir(filepath.Dir(o.ConfigPath)))
			_, err := Quickstart(context.Background(), o)
			var refused *RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("want a refusal, got %v", err)
			}
			if after := tree(t, filepath.Dir(filepath.Dir(o.ConfigPath))); after != before {
				t.Errorf("refusal wrote:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

// A failing step undoes the earlier ones and says where the journal is.
func TestQuickstartRollsBackOnFailure(t *testing.T) {
	t.Parallel()
	o := quickstartOpts(t)
	o.InitData = func(context.Context, config.Config, *slog.Logger) (string, error) {
		return "", errors.New("le dossier de données contenait déjà une commune")
	}
	root := filepath.Dir(filepath.Dir(o.ConfigPath))
	before := tree(t, root)
	_, err := Quickstart(context.Background(), o)
	var refused *RefusedError
	if err == nil || errors.As(err, &refused) {
		t.Fatalf("want a failure after writing, got %v", err)
	}
	for _, want := range []string{"l'installation a échoué: le dossier de données contenait déjà une commune", "Tout ce qu'elle avait écrit a été retiré.", "Journal: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if after := tree(t, root); after != before {
		t.Errorf("left behind:\n%s", after)
	}
	if m := regexp.MustCompile(`Journal: (\S+)`).FindStringSubmatch(err.Error()); m != nil {
		os.Remove(m[1])
	}
}

// tree lists the files under dir.
func tree(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			b.WriteString(p + "\n")
		}
		return nil
	})
	return b.String()
}

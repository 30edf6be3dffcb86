package installer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"missive/appliance/config"
	"missive/appliance/tlsconf"
)

// QuickstartOptions is what `missive quickstart` was asked, and the steps
// cmd/missive hands in because they open the node (cluster, appliance
// wiring) or know the binary.
type QuickstartOptions struct {
	// Config holds the flags' values; Quickstart completes it (absolute
	// paths, base URL, backup passphrase file and targets).
	Config        config.Config
	ConfigPath    string
	NoService     bool
	BackupTargets []string
	// Command is the command line, written atop the configuration and the
	// journal; Version is this build's.
	Command string
	Version string
	// InitData creates the tenant and its administrator as the first serve
	// would, and returns the password to show ("" when it was given by the
	// environment); it fails when the data dir already held a tenant.
	InitData func(ctx context.Context, cfg config.Config, log *slog.Logger) (password string, err error)
	// ServiceUnit is the systemd unit text for this installation.
	ServiceUnit func(configPath string, cfg config.Config) (string, error)
}

// QuickstartResult is what the report shows.
type QuickstartResult struct {
	Config     config.Config
	ConfigPath string
	NoService  bool
	Password   string // "" when MISSIVE_ADMIN_PASSWORD gave it
	Passphrase string
	Leaf       *x509.Certificate // nil with ACME: obtained at start
	Warnings   []string
	LogPath    string
}

// RefusedError means quickstart refused before writing anything: bad
// flags, an existing installation, an unsuitable machine.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

type quickstart struct {
	QuickstartOptions
	cfg        config.Config
	configPath string
	noService  bool
	log        *slog.Logger
	j          *Journal

	// results
	password   string
	passphrase string
	leaf       *x509.Certificate
	warnings   []string
	account    Account
}

// Quickstart installs Missive on this server: the documented configuration,
// the data dir, the tenant and its administrator, the certificate, the
// backups' passphrase, then the system account and the service. It checks
// what it wrote, keeps a journal (quickstart.log in the data dir) and, if a
// step fails, undoes every earlier one; the error then says so and where
// the journal went. A *RefusedError means nothing was written.
func Quickstart(ctx context.Context, o QuickstartOptions) (QuickstartResult, error) {
	q := &quickstart{QuickstartOptions: o, cfg: o.Config, configPath: o.ConfigPath, noService: o.NoService}
	if err := q.check(); err != nil {
		return QuickstartResult{}, &RefusedError{err}
	}
	var logBuf bytes.Buffer
	q.j = NewJournal(&logBuf)
	q.log = slog.New(slog.NewTextHandler(&journalWriter{q.j}, &slog.HandlerOptions{Level: slog.LevelInfo,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // the journal stamps each line
			}
			return a
		}}))
	q.j.Logf("début: %s (version %s)", q.Command, q.Version)
	if err := q.run(ctx); err != nil {
		q.j.Logf("échec: %v", err)
		msg := fmt.Sprintf("l'installation a échoué: %v", err)
		if rerr := q.j.Rollback(); rerr != nil {
			msg += fmt.Sprintf("\nCertaines étapes n'ont pas pu être annulées:\n%v", rerr)
		} else {
			msg += "\nTout ce qu'elle avait écrit a été retiré."
		}
		logPath := filepath.Join(os.TempDir(), fmt.Sprintf("missive-quickstart-%s.log", time.Now().UTC().Format("20060102T150405Z")))
		if werr := os.WriteFile(logPath, logBuf.Bytes(), 0o600); werr == nil {
			msg += "\nJournal: " + logPath
		}
		return QuickstartResult{}, errors.New(msg)
	}
	q.j.Logf("terminé")
	logPath := filepath.Join(q.cfg.Data, "quickstart.log")
	if err := os.WriteFile(logPath, logBuf.Bytes(), 0o600); err != nil {
		q.warnings = append(q.warnings, fmt.Sprintf("journal non écrit: %v", err))
	} else if !q.noService {
		os.Chown(logPath, q.account.UID, q.account.GID)
	}
	return QuickstartResult{Config: q.cfg, ConfigPath: q.configPath, NoService: q.noService, Password: q.password,
		Passphrase: q.passphrase, Leaf: q.leaf, Warnings: q.warnings, LogPath: logPath}, nil
}

// journalWriter sends slog lines into the quickstart journal.
type journalWriter struct{ j *Journal }

func (w *journalWriter) Write(p []byte) (int, error) {
	w.j.Logf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// check refuses bad flags, an existing installation and an unsuitable
// machine before anything is written.
func (q *quickstart) check() error {
	cfg := &q.cfg
	if cfg.Hostname == "" {
		return errors.New("--hostname est obligatoire, ex. --hostname courrier.ville.fr")
	}
	cfg.Hostname = strings.ToLower(strings.TrimSuffix(cfg.Hostname, "."))
	if cfg.TLS == "" || cfg.TLS == "none" {
		return errors.New("--tls: acme, internal ou files (Missive s'installe en HTTPS)")
	}
	var err error
	if q.configPath, err = filepath.Abs(q.configPath); err != nil {
		return err
	}
	if cfg.Data, err = filepath.Abs(cfg.Data); err != nil {
		return err
	}
	for _, p := range []*string{&cfg.CertFile, &cfg.KeyFile, &cfg.ACMERoot} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return err
			}
			if _, err := os.Stat(*p); err != nil {
				return fmt.Errorf("fichier introuvable: %v", err)
			}
		}
	}
	if port := ListenPort(cfg.Listen); port != "" && port != "0" {
		cfg.BaseURL = "https://" + HostPort(cfg.Hostname, cfg.Listen, "443")
	}
	cfg.Backup.PassphraseFile = filepath.Join(filepath.Dir(q.configPath), "sauvegarde.phrase")
	for _, t := range q.BackupTargets {
		cfg.Backup.Targets = append(cfg.Backup.Targets, config.BackupTarget{URL: t})
	}
	if q.noService {
		cfg.User = ""
	} else {
		if os.Geteuid() != 0 {
			return errors.New("installer le service demande d'être root: relancez avec sudo, ou ajoutez --no-service")
		}
		if !SystemdRunning() {
			return ErrNoSystemd
		}
		// The unit's ProtectHome and PrivateTmp hide these from the service.
		for _, hidden := range []string{"/home", "/root", "/run/user", "/tmp", "/var/tmp"} {
			if cfg.Data == hidden || strings.HasPrefix(cfg.Data, hidden+"/") {
				return fmt.Errorf("--data %s: le service ne voit pas %s (durcissement systemd); choisissez par ex. /var/lib/missive", cfg.Data, hidden)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("réglages invalides:\n%v", err)
	}
	if err := CheckConfigReplaceable(q.configPath); err != nil {
		return fmt.Errorf("%v: Missive est déjà installé ici (« missive doctor --config %s » le vérifie); pour recommencer, retirez ce fichier et le dossier de données", err, q.configPath)
	}
	return CheckDataDirFresh(cfg.Data)
}

// ListenPort is the port of a listen address, "" when there is none.
func ListenPort(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (q *quickstart) run(ctx context.Context) error {
	cfg := q.cfg
	if err := q.j.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("créer %s: %w", cfg.Data, err)
	}
	if err := q.j.MkdirAll(filepath.Dir(q.configPath), 0o755); err != nil {
		return fmt.Errorf("créer %s: %w", filepath.Dir(q.configPath), err)
	}
	b, err := ConfigFile(cfg, time.Now(), q.Command)
	if err != nil {
		return err
	}
	if err := q.j.WriteFile(q.configPath, b, 0o640); err != nil {
		return fmt.Errorf("écrire la configuration: %w", err)
	}
	// The backups' passphrase: only the service account reads the file; the
	// IT person prints it from the report and keeps it apart.
	q.passphrase = backupPassphrase()
	if err := q.j.WriteFile(cfg.Backup.PassphraseFile, []byte(q.passphrase+"\n"), 0o600); err != nil {
		return fmt.Errorf("écrire la phrase de passe des sauvegardes: %w", err)
	}
	// What the service will read is what was meant.
	back, err := config.Load(q.configPath)
	if err != nil {
		return fmt.Errorf("relire la configuration écrite: %w", err)
	}
	if !reflect.DeepEqual(back, cfg) {
		return fmt.Errorf("la configuration relue diffère de celle écrite:\n%+v\n%+v", back, cfg)
	}
	q.j.Logf("configuration relue et valide: %s", q.configPath)

	if err := q.setupTLS(ctx); err != nil {
		return err
	}
	if err := q.initData(ctx); err != nil {
		return err
	}
	if q.noService {
		return nil
	}
	return q.installService()
}

func (q *quickstart) setupTLS(ctx context.Context) error {
	cfg := q.cfg
	switch cfg.TLS {
	case config.TLSInternal:
		st := TLSStorage(cfg)
		if err := tlsconf.InitCA(ctx, st, cfg.Hostname); err != nil {
			return err
		}
		m, err := tlsconf.New(tlsconf.Options{Mode: tlsconf.ModeInternal, Hostname: cfg.Hostname, Storage: st, Log: q.log})
		if err != nil {
			return err
		}
		defer m.Close()
		if err := m.Start(ctx); err != nil {
			return fmt.Errorf("certificat de l'autorité locale: %w", err)
		}
		root, err := tlsconf.CARoot(ctx, st)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(root)
		q.leaf = m.Leaf()
		if q.leaf == nil {
			return errors.New("l'autorité locale n'a pas délivré de certificat")
		}
		if _, err := q.leaf.Verify(x509.VerifyOptions{DNSName: cfg.Hostname, Roots: pool}); err != nil {
			return fmt.Errorf("le certificat délivré ne se vérifie pas depuis la racine: %w", err)
		}
		q.j.Logf("autorité locale créée, certificat délivré pour %s jusqu'au %s", cfg.Hostname, q.leaf.NotAfter.Format("02/01/2006"))
	case config.TLSFiles:
		c, err := tlsconf.LoadFiles(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return err
		}
		if err := c.Leaf.VerifyHostname(cfg.Hostname); err != nil {
			return fmt.Errorf("le certificat %s ne couvre pas %s: %w", cfg.CertFile, cfg.Hostname, err)
		}
		if left := time.Until(c.Leaf.NotAfter); left < 0 {
			return fmt.Errorf("le certificat %s a expiré le %s", cfg.CertFile, c.Leaf.NotAfter.Format("02/01/2006"))
		} else if left < 30*24*time.Hour {
			q.warnings = append(q.warnings, fmt.Sprintf("le certificat expire le %s: remplacez %s et %s avant", c.Leaf.NotAfter.Format("02/01/2006"), cfg.CertFile, cfg.KeyFile))
		}
		q.leaf = c.Leaf
		q.j.Logf("certificat %s vérifié pour %s", cfg.CertFile, cfg.Hostname)
	case config.TLSACME:
		if err := q.checkACMEDirectory(ctx); err != nil {
			// The CA may be reachable only once the firewall is opened:
			// the server keeps trying, and doctor says what is wrong.
			q.warnings = append(q.warnings, fmt.Sprintf("autorité ACME injoignable pour l'instant (%v): le certificat sera demandé au démarrage, « missive doctor » dira ce qui bloque", err))
			q.j.Logf("annuaire ACME injoignable: %v", err)
		}
	}
	return nil
}

func (q *quickstart) checkACMEDirectory(ctx context.Context) error {
	dir := q.cfg.ACMEDirectory
	if dir == "" {
		dir = tlsconf.LetsEncrypt
	}
	tc := &tls.Config{}
	if q.cfg.ACMERoot != "" {
		pool, err := tlsconf.LoadPool(q.cfg.ACMERoot)
		if err != nil {
			return err
		}
		tc.RootCAs = pool
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, dir, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", dir, resp.StatusCode)
	}
	q.j.Logf("annuaire ACME joignable: %s", dir)
	return nil
}

// initData creates the tenant and its administrator, as the first serve
// would (opening the data dir records this build in it).
func (q *quickstart) initData(ctx context.Context) error {
	password, err := q.InitData(ctx, q.cfg, q.log)
	if err != nil {
		return err
	}
	q.password = password
	q.j.Logf("commune %q et utilisateur admin créés", q.cfg.TenantName)
	return nil
}

// backupPassphrase makes a passphrase a person can copy from paper: six
// groups of five letters and digits without look-alikes, about 150 bits.
func backupPassphrase() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 30)
	rand.Read(b)
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return out.String()
}

func (q *quickstart) installService() error {
	cfg := q.cfg
	a, err := EnsureAccount(q.j, cfg.User, cfg.Data)
	if err != nil {
		return err
	}
	q.account = a
	if err := ChownTree(cfg.Data, a); err != nil {
		return fmt.Errorf("donner %s à %s: %w", cfg.Data, cfg.User, err)
	}
	if err := os.Chown(q.configPath, 0, a.GID); err != nil {
		return err
	}
	if err := os.Chown(cfg.Backup.PassphraseFile, a.UID, a.GID); err != nil {
		return err
	}
	q.j.Logf("%s appartient à %s; %s lisible par le groupe %s", cfg.Data, cfg.User, q.configPath, cfg.User)
	unit, err := q.ServiceUnit(q.configPath, cfg)
	if err != nil {
		return err
	}
	s, err := OpenService(unit, nil)
	if err != nil {
		return err
	}
	if err := s.Install(); err != nil {
		return fmt.Errorf("installer le service: %w", err)
	}
	q.j.Did("installer le service missive", s.Uninstall)
	// Type=notify: start returns once the server said READY=1.
	if err := s.Start(); err != nil {
		return fmt.Errorf("démarrer le service (journalctl -u missive dit pourquoi): %w", err)
	}
	q.j.Did("démarrer le service missive", s.Stop)
	return nil
}

// HostPort is host with addr's port, the port left out when it is def.
func HostPort(host, addr, def string) string {
	_, port, _ := net.SplitHostPort(addr)
	if port == def || port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

// TLSStorage is where the certificates and the local authority live.
func TLSStorage(cfg config.Config) tlsconf.Storage {
	return tlsconf.FileStorage(filepath.Join(cfg.Data, "tls"))
}

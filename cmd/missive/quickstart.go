package main

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
	"missive/installer"
)

const quickstartHelp = `Installe Missive sur ce serveur en une commande: écrit la configuration
commentée (--config), crée le dossier de données (--data), la commune et son
administrateur (mot de passe affiché une seule fois), le certificat TLS, puis
installe et démarre le service systemd « missive » (compte système missive).
Relit et vérifie ce qu'elle a écrit, affiche l'adresse, les réglages de
messagerie et la suite; garde un journal (quickstart.log dans --data). Si une
étape échoue, tout ce qui avait été écrit est retiré.

Certificat (--tls):
  acme      Let's Encrypt (ou l'autorité ACME de --acme-directory): le nom doit
            pointer vers ce serveur et les ports 80 ou 443 être joignables
            depuis l'autorité; obtenu au démarrage, renouvelé tout seul.
  internal  autorité locale créée ici; exportez sa racine vers les postes avec
            « missive tls export-ca ».
  files     --cert et --key fournis par la commune, relus quand ils changent.

Sauvegardes: une phrase de passe est générée dans sauvegarde.phrase à côté de
la configuration et affichée une fois: imprimez-la et rangez-la hors du serveur.
--backup-target (répétable) ajoute une cible (file:///mnt/nas/missive,
webdav+https://…, sftp://…), sauvegardée chaque nuit à 02:30.

--no-service fait tout sauf le service (conteneur, essais): lancez ensuite
« missive serve --config FICHIER ».`

type quickstart struct {
	cfg        config.Config
	configPath string
	noService  bool
	command    string
	log        *slog.Logger
	j          *installer.Journal

	backupTargets stringList

	// results
	password   string
	passphrase string
	leaf       *x509.Certificate
	warnings   []string
	account    installer.Account
}

func runQuickstart(c *cli) error {
	q := quickstart{cfg: config.Default()}
	cfg := &q.cfg
	cfg.TLS = config.TLSACME
	cfg.Data = "/var/lib/missive"
	cfg.Listen = ":443"
	cfg.User = "missive"
	c.fs.StringVar(&cfg.Hostname, "hostname", "", "nom public du serveur, ex. courrier.ville.fr (obligatoire)")
	c.fs.StringVar(&cfg.TLS, "tls", cfg.TLS, "certificat: acme, internal ou files")
	c.fs.StringVar(&cfg.ACMEEmail, "acme-email", "", "adresse prévenue par l'autorité ACME avant expiration")
	c.fs.StringVar(&cfg.ACMEDirectory, "acme-directory", "", "annuaire ACME (défaut: Let's Encrypt)")
	c.fs.StringVar(&cfg.ACMERoot, "acme-root", "", "racine PEM de l'autorité ACME si elle n'est pas publique")
	c.fs.StringVar(&cfg.CertFile, "cert", "", "avec --tls files: certificat PEM")
	c.fs.StringVar(&cfg.KeyFile, "key", "", "avec --tls files: clé privée PEM")
	c.fs.StringVar(&q.configPath, "config", "/etc/missive/missive.toml", "fichier de configuration à écrire")
	c.fs.StringVar(&cfg.Data, "data", cfg.Data, "dossier des données")
	c.fs.StringVar(&cfg.DB, "db", "", "base PostgreSQL postgres://…; vide: SQLite dans le dossier des données")
	c.fs.StringVar(&cfg.TenantName, "tenant-name", cfg.TenantName, "nom de la commune")
	c.fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "adresse d'écoute HTTPS")
	c.fs.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "adresse d'écoute HTTP (renvoi vers HTTPS, défis ACME); vide: aucune")
	c.fs.StringVar(&cfg.User, "user", cfg.User, "compte système du service")
	c.fs.BoolVar(&q.noService, "no-service", false, "ne pas installer ni démarrer le service systemd")
	c.fs.Var(&q.backupTargets, "backup-target", "cible des sauvegardes nocturnes (répétable): file:///…, webdav+https://compte@hôte/chemin, sftp://compte@hôte:port/chemin")
	if err := c.parse(false); err != nil {
		return err
	}
	q.command = "missive quickstart " + strings.Join(c.args, " ")
	if err := q.check(); err != nil {
		return &exitError{2, err.Error()}
	}

	var logBuf bytes.Buffer
	q.j = installer.NewJournal(&logBuf)
	q.log = slog.New(slog.NewTextHandler(&journalWriter{q.j}, &slog.HandlerOptions{Level: slog.LevelInfo,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // the journal stamps each line
			}
			return a
		}}))
	q.j.Logf("début: %s (version %s)", q.command, version)
	ctx := context.Background()
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
		return &exitError{1, msg}
	}
	q.j.Logf("terminé")
	logPath := filepath.Join(q.cfg.Data, "quickstart.log")
	if err := os.WriteFile(logPath, logBuf.Bytes(), 0o600); err != nil {
		q.warnings = append(q.warnings, fmt.Sprintf("journal non écrit: %v", err))
	} else if !q.noService {
		os.Chown(logPath, q.account.UID, q.account.GID)
	}
	q.report(c.stdout, logPath)
	return nil
}

// journalWriter sends slog lines into the quickstart journal.
type journalWriter struct{ j *installer.Journal }

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
	if port := listenPort(cfg.Listen); port != "" && port != "0" {
		cfg.BaseURL = "https://" + hostPort(cfg.Hostname, cfg.Listen, "443")
	}
	cfg.Backup.PassphraseFile = filepath.Join(filepath.Dir(q.configPath), "sauvegarde.phrase")
	for _, t := range q.backupTargets {
		cfg.Backup.Targets = append(cfg.Backup.Targets, config.BackupTarget{URL: t})
	}
	if q.noService {
		cfg.User = ""
	} else {
		if os.Geteuid() != 0 {
			return errors.New("installer le service demande d'être root: relancez avec sudo, ou ajoutez --no-service")
		}
		if !installer.SystemdRunning() {
			return installer.ErrNoSystemd
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
	if err := installer.CheckConfigReplaceable(q.configPath); err != nil {
		return fmt.Errorf("%v: Missive est déjà installé ici (« missive doctor --config %s » le vérifie); pour recommencer, retirez ce fichier et le dossier de données", err, q.configPath)
	}
	return installer.CheckDataDirFresh(cfg.Data)
}

func listenPort(addr string) string {
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
	b, err := installer.ConfigFile(cfg, time.Now(), q.command)
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
		st := tlsStorage(cfg)
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
	n, err := openNode(ctx, q.cfg, q.log)
	if err != nil {
		return fmt.Errorf("ouvrir le dossier de données: %w", err)
	}
	defer n.close()
	c := &cli{getenv: os.Getenv}
	if q.password, err = firstStart(ctx, c, q.cfg, n, q.log); err != nil {
		return err
	}
	if q.password == "" {
		return errors.New("le dossier de données contenait déjà une commune")
	}
	if os.Getenv("MISSIVE_ADMIN_PASSWORD") != "" {
		q.password = ""
	}
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
	a, err := installer.EnsureAccount(q.j, cfg.User, cfg.Data)
	if err != nil {
		return err
	}
	q.account = a
	if err := installer.ChownTree(cfg.Data, a); err != nil {
		return fmt.Errorf("donner %s à %s: %w", cfg.Data, cfg.User, err)
	}
	if err := os.Chown(q.configPath, 0, a.GID); err != nil {
		return err
	}
	if err := os.Chown(cfg.Backup.PassphraseFile, a.UID, a.GID); err != nil {
		return err
	}
	q.j.Logf("%s appartient à %s; %s lisible par le groupe %s", cfg.Data, cfg.User, q.configPath, cfg.User)
	unit, err := serviceUnit(q.configPath, cfg)
	if err != nil {
		return err
	}
	s, err := installer.OpenService(unit, nil)
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

func (q *quickstart) report(w io.Writer, logPath string) {
	cfg := q.cfg
	url := "https://" + hostPort(cfg.Hostname, cfg.Listen, "443") + "/"
	if listenPort(cfg.Listen) == "0" {
		url = "https://" + cfg.Hostname + ":PORT/ (port attribué au démarrage)"
	}
	fmt.Fprintf(w, "Missive est installé.\n\n")
	fmt.Fprintf(w, "  Adresse:          %s\n", url)
	fmt.Fprintf(w, "  Administrateur:   admin\n")
	if q.password != "" {
		fmt.Fprintf(w, "  Mot de passe:     %s\n", q.password)
		fmt.Fprintf(w, "                    (affiché une seule fois: notez-le; « missive user passwd --login admin » le change)\n")
	} else {
		fmt.Fprintf(w, "  Mot de passe:     celui de MISSIVE_ADMIN_PASSWORD\n")
	}
	fmt.Fprintf(w, "  Configuration:    %s\n", q.configPath)
	fmt.Fprintf(w, "  Données:          %s\n", cfg.Data)
	switch cfg.TLS {
	case config.TLSInternal:
		fmt.Fprintf(w, "\nCertificat: autorité locale, valable jusqu'au %s, renouvelé tout seul.\n", q.leaf.NotAfter.Format("02/01/2006"))
		fmt.Fprintf(w, "Déployez sa racine sur les postes (stratégie de groupe, « Autorités de certification racines de confiance »):\n")
		fmt.Fprintf(w, "  missive tls export-ca --config %s --out missive-ca.crt\n", q.configPath)
	case config.TLSFiles:
		fmt.Fprintf(w, "\nCertificat: %s, valable jusqu'au %s; remplacez les fichiers pour le renouveler (relus tout seuls).\n", cfg.CertFile, q.leaf.NotAfter.Format("02/01/2006"))
	case config.TLSACME:
		dir := cfg.ACMEDirectory
		if dir == "" {
			dir = "Let's Encrypt"
		}
		fmt.Fprintf(w, "\nCertificat: demandé à %s au démarrage, renouvelé tout seul.\n", dir)
	}
	fmt.Fprintf(w, "\nSauvegardes chiffrées, chaque nuit à %s:\n", cfg.Backup.Schedule)
	fmt.Fprintf(w, "  Phrase de passe:  %s\n", q.passphrase)
	fmt.Fprintf(w, "                    IMPRIMEZ-LA et rangez-la hors du serveur (coffre de la mairie): sans elle,\n")
	fmt.Fprintf(w, "                    aucune sauvegarde ne se restaure. Copie pour le service: %s\n", cfg.Backup.PassphraseFile)
	if len(cfg.Backup.Targets) == 0 {
		fmt.Fprintf(w, "  Cibles:           aucune encore: ajoutez une section [[backup.target]] à %s\n", q.configPath)
		fmt.Fprintf(w, "                    (NAS: url = \"file:///mnt/nas/missive\"; Nextcloud: url = \"webdav+https://…\"), puis redémarrez\n")
	}
	for _, t := range cfg.Backup.Targets {
		fmt.Fprintf(w, "  Cible:            %s\n", t.URL)
	}
	fmt.Fprintf(w, "  État:             missive backup status --config %s\n", q.configPath)
	fmt.Fprintf(w, "\nÀ régler autour du serveur:\n")
	fmt.Fprintf(w, "  - DNS: %s doit désigner ce serveur (enregistrement A ou AAAA).\n", cfg.Hostname)
	fmt.Fprintf(w, "  - Pare-feu: ouvrir %s (HTTPS)", listenPort(cfg.Listen))
	if cfg.HTTPListen != "" {
		fmt.Fprintf(w, " et %s (renvoi vers HTTPS%s)", listenPort(cfg.HTTPListen), map[bool]string{true: ", défis ACME", false: ""}[cfg.TLS == config.TLSACME])
	}
	fmt.Fprintf(w, ", et 25 pour recevoir le courrier par SMTP.\n")
	fmt.Fprintf(w, "\nMessagerie (« missive mail … -h » détaille chaque commande):\n")
	fmt.Fprintf(w, "  - Adresses reçues:  missive mail address add mairie@ville.fr  (MX du domaine vers %s, ou règle de transfert Exchange/BlueMind)\n", cfg.Hostname)
	fmt.Fprintf(w, "  - Boîte IMAP:       missive mail mailbox add --host imap.ville.fr …  (relève une boîte existante)\n")
	fmt.Fprintf(w, "  - Envoi des accusés: missive mail relay set --host smtp.ville.fr --port 587 …\n")
	fmt.Fprintf(w, "  - Réception SMTP:   smtp_listen = \":25\" dans %s (STARTTLS avec le certificat du site), puis redémarrer\n", q.configPath)
	fmt.Fprintf(w, "  - Ou tout cela dans l'interface: Administration › Courrier électronique (« Tester la connexion »)\n")
	fmt.Fprintf(w, "\nEnsuite:\n")
	if q.noService {
		fmt.Fprintf(w, "  missive serve --config %s      lance Missive (service non installé: --no-service)\n", q.configPath)
	} else {
		fmt.Fprintf(w, "  systemctl status missive        état du service (journalctl -u missive pour les journaux)\n")
	}
	fmt.Fprintf(w, "  missive doctor --config %s      vérifie l'installation et dit quoi corriger\n", q.configPath)
	for _, warn := range q.warnings {
		fmt.Fprintf(w, "\nAttention: %s\n", warn)
	}
	fmt.Fprintf(w, "\nJournal de l'installation: %s\n", logPath)
}

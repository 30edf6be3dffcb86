package installer

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"missive/appliance"
	"missive/appliance/config"
	"missive/appliance/store"
	"missive/appliance/tlsconf"
)

// Level says how a finding of Doctor stands.
type Level int

const (
	OK   Level = iota // nothing to do
	Warn              // to watch
	Fail              // to fix: doctor exits 1
)

// Check is one finding of Doctor: what was seen and, when it is not OK,
// what to do, both in French for the IT person.
type Check struct {
	Level Level
	Text  string
	Fix   string
}

// DoctorOptions is what Doctor checks, and the checks cmd/missive hands
// in for the packages installer may not import (cluster, backup).
type DoctorOptions struct {
	Config config.Config
	// ConfigPath is the file Config was read from, "" for the defaults.
	ConfigPath string
	// Version is this build's: data written by another is not opened
	// (opening migrates, which is the server's to do after its snapshot).
	Version string
	// Timeout bounds each connection and lookup (5 s when zero).
	Timeout time.Duration
	// Raft compares the raft log and snapshots with the store's applied
	// index (0 when the store could not be read); nil skips the check.
	Raft func(applied uint64) Check
	// BackupPassphrase reads the backups' passphrase; nil skips it.
	BackupPassphrase func() error
	// BackupPolicy is what the configuration says of backups.
	BackupPolicy appliance.BackupPolicy
	// Report, when set, hears each finding as it is made: some checks wait
	// on the network, and the IT person sees the others meanwhile.
	Report func(Check)
}

// doctor collects findings, one line each, with what to do.
type doctor struct {
	checks  []Check
	report  func(Check)
	timeout time.Duration
	version string
}

func (d *doctor) add(c Check) {
	d.checks = append(d.checks, c)
	if d.report != nil {
		d.report(c)
	}
}

func (d *doctor) ok(format string, args ...any) {
	d.add(Check{Level: OK, Text: fmt.Sprintf(format, args...)})
}

func (d *doctor) warn(fix, format string, args ...any) {
	d.add(Check{Level: Warn, Text: fmt.Sprintf(format, args...), Fix: fix})
}

func (d *doctor) fail(fix, format string, args ...any) {
	d.add(Check{Level: Fail, Text: fmt.Sprintf(format, args...), Fix: fix})
}

// Doctor checks an installation whose configuration was read: the data
// dir, the raft state, the service, the ports (does Missive answer?), the
// certificate, the DNS, the IMAP and SMTP connections, the backups, the
// disk and the clock. It returns every finding, in that order.
func Doctor(ctx context.Context, o DoctorOptions) []Check {
	d := &doctor{report: o.Report, timeout: o.Timeout, version: o.Version}
	if d.timeout == 0 {
		d.timeout = 5 * time.Second
	}
	cfg := o.Config
	if o.ConfigPath != "" {
		d.ok("Configuration %s valide.", o.ConfigPath)
	} else {
		d.warn("indiquez --config /etc/missive/missive.toml", "Aucun fichier de configuration: valeurs par défaut vérifiées.")
	}
	d.checkDataDir(cfg)
	d.checkRaftState(ctx, cfg, o.Raft)
	d.checkService()
	leaf := d.checkListeners(cfg)
	d.checkCertificate(ctx, cfg, leaf)
	d.checkDNS(ctx, cfg)
	d.checkMail(ctx, cfg)
	d.checkBackups(ctx, cfg, o.BackupPassphrase, o.BackupPolicy)
	d.checkDisk(cfg.Data)
	d.checkClock()
	return d.checks
}

// checkRaftState says what missive serve would say of the raft state: its
// files whole, and as recent as the store. A running server checked it
// when it started.
func (d *doctor) checkRaftState(ctx context.Context, cfg config.Config, check func(uint64) Check) {
	if check == nil {
		return
	}
	if _, err := os.Stat(cfg.Data); err != nil {
		return
	}
	var applied uint64
	if st := d.openStore(ctx, cfg, "Accord du journal raft et de la base"); st != nil {
		n, err := st.AppliedIndex(ctx)
		st.Close()
		if err != nil {
			d.warn("", "Journal raft non comparé à la base: %v.", err)
			return
		}
		applied = n
	}
	d.add(check(applied))
}

func (d *doctor) checkDataDir(cfg config.Config) {
	fi, err := os.Stat(cfg.Data)
	if err != nil {
		d.fail("lancez « missive quickstart » ou corrigez la clé data", "Dossier de données %s introuvable.", cfg.Data)
		return
	}
	if !fi.IsDir() {
		d.fail("la clé data doit désigner un dossier", "%s n'est pas un dossier.", cfg.Data)
		return
	}
	if fi.Mode().Perm()&0o007 != 0 {
		d.warn("chmod 750 "+cfg.Data, "Le dossier de données %s est lisible par tous (%v).", cfg.Data, fi.Mode().Perm())
	}
	if cfg.User != "" {
		a, err := LookupAccount(cfg.User)
		if err != nil {
			d.fail("créez-le: useradd --system --user-group "+cfg.User, "Le compte %s (clé user) n'existe pas.", cfg.User)
			return
		}
		if uid, ok := FileOwner(fi); ok && uid != a.UID {
			d.fail(fmt.Sprintf("chown -R %s: %s", cfg.User, cfg.Data), "Le dossier %s n'appartient pas à %s.", cfg.Data, cfg.User)
			return
		}
	}
	d.ok("Dossier de données %s présent.", cfg.Data)
}

func (d *doctor) checkService() {
	if !SystemdRunning() {
		d.ok("Pas de systemd sur cette machine: service non vérifié (conteneur?).")
		return
	}
	s, err := OpenService("", nil)
	if err != nil {
		d.warn("", "Service: %v", err)
		return
	}
	st, err := s.Status()
	switch {
	case err != nil:
		d.fail("journalctl -u missive -n 50 dit pourquoi; puis systemctl restart missive", "Service missive: %v.", err)
	case st == "en marche":
		d.ok("Service missive en marche.")
	case st == "non installé":
		d.warn("missive service install --config FICHIER (ou missive quickstart)", "Service missive non installé.")
	default:
		d.fail("systemctl start missive; journalctl -u missive -n 50 si cela échoue", "Service missive %s.", st)
	}
}

// localAddr is where to reach a listen address from this machine.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// checkListeners asks the running server on each port; it returns the
// certificate the HTTPS port presented, if any.
func (d *doctor) checkListeners(cfg config.Config) *x509.Certificate {
	addr := localAddr(cfg.Listen)
	client := &http.Client{Timeout: d.timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var leaf *x509.Certificate
	scheme := "http"
	if cfg.TLS != config.TLSNone {
		scheme = "https"
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: d.timeout}, "tcp", addr, &tls.Config{ServerName: cfg.Hostname, InsecureSkipVerify: true})
		if err != nil {
			d.notListening(cfg.Listen, err)
			return nil
		}
		if pc := conn.ConnectionState().PeerCertificates; len(pc) > 0 {
			leaf = pc[0]
		}
		conn.Close()
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{ServerName: cfg.Hostname, InsecureSkipVerify: true}}
	}
	resp, err := client.Get(scheme + "://" + addr + "/healthz")
	if err != nil {
		d.notListening(cfg.Listen, err)
		return leaf
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		d.fail("un autre programme occupe-t-il ce port? ss -ltnp", "Port %s: réponse HTTP %d au lieu de Missive.", cfg.Listen, resp.StatusCode)
	} else {
		d.ok("Missive répond en %s sur %s.", strings.ToUpper(scheme), cfg.Listen)
	}
	if cfg.TLS != config.TLSNone && cfg.HTTPListen != "" {
		resp, err := client.Get("http://" + localAddr(cfg.HTTPListen) + "/")
		if err != nil {
			d.notListening(cfg.HTTPListen, err)
			return leaf
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, "https://"+cfg.Hostname) {
			d.ok("Le port %s renvoie vers HTTPS.", cfg.HTTPListen)
		} else {
			d.fail("un autre serveur web (apache, nginx) occupe-t-il ce port? ss -ltnp", "Le port %s ne renvoie pas vers https://%s (HTTP %d).", cfg.HTTPListen, cfg.Hostname, resp.StatusCode)
		}
	}
	return leaf
}

func (d *doctor) notListening(addr string, err error) {
	if errors.Is(err, syscall.ECONNREFUSED) {
		d.fail("démarrez-le: systemctl start missive (journalctl -u missive -n 50 si cela échoue)", "Personne n'écoute sur %s: Missive est arrêté.", addr)
		return
	}
	d.fail("vérifiez le pare-feu local et « ss -ltnp »", "Port %s: %v.", addr, err)
}

func (d *doctor) checkCertificate(ctx context.Context, cfg config.Config, leaf *x509.Certificate) {
	if cfg.TLS == config.TLSNone {
		d.ok("TLS non configuré: HTTP simple (adresse locale ou mandataire devant).")
		return
	}
	source := "servi par Missive"
	if leaf == nil && cfg.TLS == config.TLSFiles {
		c, err := tlsconf.LoadFiles(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			d.fail("corrigez cert_file et key_file", "Certificat: %v.", err)
			return
		}
		leaf, source = c.Leaf, "dans "+cfg.CertFile
	}
	if leaf == nil {
		if cfg.TLS == config.TLSACME {
			d.warn("journalctl -u missive | grep -i certificate dit pourquoi; le DNS et les ports 80/443 doivent être joignables depuis l'autorité", "Certificat ACME: aucun obtenu pour l'instant.")
		}
		return
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if cfg.TLS == config.TLSInternal {
		roots = x509.NewCertPool()
		if pem, err := tlsconf.CARoot(ctx, TLSStorage(cfg)); err == nil {
			roots.AppendCertsFromPEM(pem)
		}
	}
	left := time.Until(leaf.NotAfter)
	days := int(left.Hours() / 24)
	switch {
	case left <= 0:
		d.fail(renewHint(cfg), "Certificat %s expiré depuis le %s.", source, leaf.NotAfter.Format("02/01/2006"))
		return
	case left < 14*24*time.Hour:
		d.warn(renewHint(cfg), "Certificat %s: expire dans %d jours (le %s).", source, days, leaf.NotAfter.Format("02/01/2006"))
	}
	if err := leaf.VerifyHostname(cfg.Hostname); err != nil {
		d.fail(renewHint(cfg), "Certificat %s: ne couvre pas %s.", source, cfg.Hostname)
		return
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: cfg.Hostname, Roots: roots, Intermediates: x509.NewCertPool()}); err != nil && cfg.TLS != config.TLSFiles {
		d.warn("normal avec une autorité interne que ce serveur ne connaît pas; sinon vérifiez l'autorité", "Certificat %s: chaîne non vérifiée depuis ce serveur (%v).", source, err)
	}
	if left >= 14*24*time.Hour {
		d.ok("Certificat %s pour %s, valable jusqu'au %s (%d jours).", source, cfg.Hostname, leaf.NotAfter.Format("02/01/2006"), days)
	}
}

func renewHint(cfg config.Config) string {
	if cfg.TLS == config.TLSFiles {
		return "remplacez " + cfg.CertFile + " et " + cfg.KeyFile + " (relus tout seuls)"
	}
	return "le renouvellement automatique échoue: journalctl -u missive | grep -i certificate"
}

func (d *doctor) checkDNS(ctx context.Context, cfg config.Config) {
	if cfg.Hostname == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, cfg.Hostname)
	if err != nil || len(addrs) == 0 {
		d.fail("créez l'enregistrement A (ou AAAA) de "+cfg.Hostname+" vers l'adresse de ce serveur", "DNS: %s ne se résout pas.", cfg.Hostname)
		return
	}
	mine := map[string]bool{}
	if ifs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range ifs {
			if ipn, ok := a.(*net.IPNet); ok {
				mine[ipn.IP.String()] = true
			}
		}
	}
	for _, a := range addrs {
		if mine[a] {
			d.ok("DNS: %s désigne ce serveur (%s).", cfg.Hostname, a)
			return
		}
	}
	d.warn("normal derrière une translation d'adresse (NAT); sinon corrigez l'enregistrement DNS", "DNS: %s désigne %s, qui n'est pas une adresse de ce serveur.", cfg.Hostname, strings.Join(addrs, ", "))
}

// openStore opens the store for the checks that read it, or says why not.
func (d *doctor) openStore(ctx context.Context, cfg config.Config, what string) *store.Store {
	// Opening the store migrates it: that is the server's to do, after its
	// pre-upgrade snapshot.
	b, err := os.ReadFile(filepath.Join(cfg.Data, VersionFile))
	_, dbErr := os.Stat(filepath.Join(cfg.Data, "missive.db"))
	if err == nil && strings.TrimSpace(string(b)) != d.version || err != nil && dbErr == nil {
		d.warn("démarrez le service (il sauvegarde puis migre la base), puis relancez doctor", "Données écrites par une autre version de Missive: %s non vérifiées avant leur mise à jour.", what)
		return nil
	}
	st, err := store.Open(ctx, cfg.DB, cfg.Data)
	if err != nil {
		d.warn("lancez doctor en root ou sous le compte du service", "%s non vérifiées: base illisible (%v).", what, err)
		return nil
	}
	return st
}

// checkBackups says whether the backups run, are verified and on time.
func (d *doctor) checkBackups(ctx context.Context, cfg config.Config, passphrase func() error, policy appliance.BackupPolicy) {
	if len(cfg.Backup.Targets) > 0 && passphrase != nil {
		if err := passphrase(); err != nil {
			d.fail("créez le fichier passphrase_file (lisible du compte du service) avec la phrase de passe imprimée", "Sauvegardes: %v.", err)
		}
	}
	st := d.openStore(ctx, cfg, "Sauvegardes")
	if st == nil {
		return
	}
	defer st.Close()
	runs, err := st.Reader().BackupRuns(ctx, 200)
	if err != nil {
		d.warn("", "Sauvegardes non vérifiées: %v.", err)
		return
	}
	h := appliance.CheckBackups(runs, policy, time.Now())
	if len(h.Targets) == 0 {
		d.warn("ajoutez une section [[backup.target]] (NAS, Nextcloud, SFTP) à la configuration: missive config describe", "%s", h.Message)
		return
	}
	for _, t := range h.Targets {
		switch t.State {
		case appliance.BackupStateOK:
			d.ok("%s", t.Message)
		case appliance.BackupStateNever:
			d.warn("missive backup run --config FICHIER (ou attendez la nuit), puis missive backup status", "%s", t.Message)
		default:
			d.fail("missive backup status dit ce qui a échoué; missive backup run relance", "%s", t.Message)
		}
	}
}

func (d *doctor) checkMail(ctx context.Context, cfg config.Config) {
	st := d.openStore(ctx, cfg, "Connexions IMAP/SMTP")
	if st == nil {
		return
	}
	defer st.Close()
	r := st.Reader()
	tenants, err := r.Tenants(ctx)
	if err != nil {
		d.warn("", "Connexions IMAP/SMTP non vérifiées: %v.", err)
		return
	}
	n := 0
	for _, t := range tenants {
		if relay, err := r.MailRelay(ctx, t.ID); err == nil {
			n++
			if err := d.dialMail("smtp", relay.Host, relay.Port, relay.Security); err != nil {
				d.fail("vérifiez l'hôte, le port, le mode (starttls, tls) et le pare-feu: missive mail relay set -h", "Relais SMTP de %s (%s:%d): %v.", t.ID, relay.Host, relay.Port, err)
			} else {
				d.ok("Relais SMTP de %s joignable (%s:%d, %s).", t.ID, relay.Host, relay.Port, relay.Security)
			}
		}
		boxes, _ := r.Mailboxes(ctx, t.ID)
		for _, b := range boxes {
			if b.Disabled {
				continue
			}
			n++
			if err := d.dialMail("imap", b.Host, b.Port, b.Security); err != nil {
				d.fail("vérifiez l'hôte, le port, le mode (tls, starttls) et le pare-feu: missive mail mailbox add -h", "Boîte IMAP %s de %s (%s:%d): %v.", b.Username, t.ID, b.Host, b.Port, err)
			} else {
				d.ok("Boîte IMAP %s de %s joignable (%s:%d, %s).", b.Username, t.ID, b.Host, b.Port, b.Security)
			}
		}
	}
	if n == 0 {
		d.ok("Aucune connexion IMAP ni SMTP sortante configurée (missive mail status).")
	}
}

// dialMail connects to a mail server as Missive will, TLS included, and
// checks its certificate against the system's roots.
func (d *doctor) dialMail(proto, host string, port int, security string) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	tc := &tls.Config{ServerName: host}
	dialer := &net.Dialer{Timeout: d.timeout}
	if security == "tls" {
		conn, err := tls.DialWithDialer(dialer, "tcp", addr, tc)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * d.timeout))
	if security != "starttls" {
		return nil
	}
	if proto == "smtp" {
		c, err := smtp.NewClient(conn, host)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.StartTLS(tc)
	}
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		return fmt.Errorf("accueil IMAP inattendu %q (%v)", strings.TrimSpace(line), err)
	}
	fmt.Fprint(conn, "a1 STARTTLS\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "a1 ") {
			if !strings.HasPrefix(line, "a1 OK") {
				return fmt.Errorf("STARTTLS refusé: %s", strings.TrimSpace(line))
			}
			break
		}
	}
	tconn := tls.Client(conn, tc)
	return tconn.Handshake()
}

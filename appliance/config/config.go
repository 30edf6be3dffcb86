// Package config owns Missive's configuration file: its fields and their
// documentation, parsing that reports every error at once, and the commented
// example printed by `missive config describe`.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is missive.toml. Every field documents itself with its doc tag.
type Config struct {
	Data        string `toml:"data" doc:"Dossier des données: base SQLite, journal raft, documents (blobs), socket de contrôle."`
	Listen      string `toml:"listen" doc:"Adresse d'écoute de l'interface, de l'API et du partage WebDAV, ex. 127.0.0.1:8080; en HTTPS quand tls est choisi, ex. :443."`
	DB          string `toml:"db" doc:"Base PostgreSQL (postgres://utilisateur:motdepasse@hôte:5432/base). Vide: SQLite embarqué dans le dossier des données."`
	BaseURL     string `toml:"base_url" doc:"Adresse publique de Missive, utilisée dans les liens des e-mails, ex. https://courrier.ville.fr. Vide: déduite de listen."`
	TenantName  string `toml:"tenant_name" doc:"Nom de la commune créée au premier démarrage."`
	MaxUploadMB int    `toml:"max_upload_mb" doc:"Taille maximale d'un document déposé, en mégaoctets (1 à 2048)."`
	LogLevel    string `toml:"log_level" doc:"Niveau des journaux: debug, info, warn ou error."`

	Hostname      string `toml:"hostname" doc:"Nom public du serveur, ex. courrier.ville.fr: nom du certificat TLS, de l'adresse https:// et de l'accueil SMTP. Obligatoire avec tls."`
	TLS           string `toml:"tls" doc:"Certificat: acme (Let's Encrypt ou l'autorité ACME de acme_directory, obtenu et renouvelé tout seul), internal (autorité locale créée par missive quickstart; sa racine s'exporte avec missive tls export-ca), files (cert_file et key_file, relus quand ils changent) ou vide (HTTP simple, sur une adresse locale ou derrière un mandataire)."`
	ACMEEmail     string `toml:"acme_email" doc:"Adresse e-mail donnée à l'autorité ACME, qui y prévient avant l'expiration d'un certificat. Facultative."`
	ACMEDirectory string `toml:"acme_directory" doc:"Annuaire de l'autorité ACME, en https://. Vide: Let's Encrypt. Ex. l'autorité interne du département: https://acme.interne/directory"`
	ACMERoot      string `toml:"acme_root" doc:"Fichier PEM de l'autorité racine du serveur ACME, quand elle n'est pas reconnue par le système (autorité interne). Vide: les autorités du système."`
	CertFile      string `toml:"cert_file" doc:"Avec tls = files: certificat PEM (suivi de sa chaîne), lisible par le compte du service."`
	KeyFile       string `toml:"key_file" doc:"Avec tls = files: clé privée PEM du certificat, lisible par le compte du service."`
	HTTPListen    string `toml:"http_listen" doc:"Avec tls: adresse d'écoute HTTP (port 80) qui renvoie vers HTTPS et répond aux défis ACME HTTP-01. Vide: aucune."`
	SMTPListen    string `toml:"smtp_listen" doc:"Adresse d'écoute SMTP du courrier entrant (enregistrement MX ou règle de transfert Exchange/BlueMind vers Missive), ex. :25. Avec tls, STARTTLS y est proposé avec le même certificat, puis AUTH (PLAIN, LOGIN) pour les utilisateurs Missive. Seules les adresses de réception configurées sont acceptées: jamais de relais. Vide: aucune (l'option --smtp de missive serve l'emporte)."`
	User          string `toml:"user" doc:"Compte système du serveur lancé par root: il ouvre ses ports puis devient ce compte. Vide: ne change pas de compte (systemd le lance déjà sous missive)."`

	ClusterListen             string `toml:"cluster_listen" doc:"Port de cluster de ce nœud, ex. 10.0.0.5:7000: l'adresse par laquelle les autres sites le joignent (réplication raft, écritures transmises au leader, adhésions), en TLS mutuel avec l'autorité du cluster. Vide: nœud seul, sans port de cluster (ou l'adresse retenue lors d'un démarrage précédent en cluster). L'option --cluster-listen de missive serve l'emporte."`
	SMTPMaxConnections        int    `toml:"smtp_max_connections" doc:"Connexions SMTP ouvertes à la fois, en tout; au-delà, le client est prié de revenir plus tard (421)."`
	SMTPMaxConnectionsPerAddr int    `toml:"smtp_max_connections_per_address" doc:"Connexions SMTP ouvertes à la fois depuis une même adresse IP; au-delà, 421. Le connecteur Exchange ou BlueMind de la commune passe par une seule adresse: ne descendez pas sous 5."`
	MailIntakeMB              int    `toml:"mail_intake_mb" doc:"Taille cumulée, en mégaoctets, des messages (SMTP et IMAP) transformés en courriers au même moment; les autres attendent sur le disque, et au bout de deux minutes le client SMTP est prié de réessayer (451 4.3.1). La mémoire utilisée est d'environ trois fois cette valeur."`
	MailMaxParts              int    `toml:"mail_max_parts" doc:"Parties MIME lues dans un message: au-delà, elles ne deviennent pas des documents (le message d'origine .eml, toujours gardé, les contient)."`
	MailMaxDepth              int    `toml:"mail_max_depth" doc:"Profondeur d'imbrication des parties MIME lue: plus profond, une partie est gardée brute."`
	MailAcksPerHour           int    `toml:"mail_acks_per_hour" doc:"Accusés de réception envoyés par heure et par commune, à tous les expéditeurs ensemble: n'importe qui peut se faire passer pour un autre, ce plafond borne ce que la commune écrit à des inconnus. Au-delà, le courrier est enregistré sans accusé (la raison figure sur le courrier)."`
	MailAcksPerSenderPerHour  int    `toml:"mail_acks_per_sender_per_hour" doc:"Accusés de réception envoyés par heure à une même adresse."`
	HTTPBodyTimeout           int    `toml:"http_body_timeout" doc:"Secondes laissées à un client pour commencer d'envoyer le corps d'une requête (formulaire, document, PUT WebDAV), plus une seconde par tranche de http_body_min_rate_kb reçue: un envoi régulier n'est jamais coupé, un client qui envoie un octet de temps en temps l'est."`
	HTTPBodyMinRateKB         int    `toml:"http_body_min_rate_kb" doc:"Débit minimal d'envoi d'un corps de requête, en kilo-octets par seconde, au-delà du délai http_body_timeout."`
	LoginMaxFailures          int    `toml:"login_max_failures" doc:"Essais de mot de passe d'un même identifiant (interface web, WebDAV, SMTP AUTH, changement de mot de passe, tous ensemble) avant d'attendre: 1 s, puis le double à chaque essai, jusqu'à 15 minutes. Les essais sont comptés dès leur arrivée: des essais envoyés en parallèle n'en ont pas plus."`
	LoginMaxFailuresPerAddr   int    `toml:"login_max_failures_per_address" doc:"Essais de mot de passe depuis une même adresse IP, tous identifiants confondus, avant d'attendre (une minute au plus): derrière un mandataire inverse, tous les agents ont son adresse."`
	Backup                    Backup `toml:"backup" doc:"Sauvegardes automatiques, chiffrées et vérifiées: voir missive backup -h."`
}

// Backup is the [backup] section: when, where and how long to keep.
type Backup struct {
	Schedule       string         `toml:"schedule" doc:"Heure de la sauvegarde quotidienne, HH:MM, heure de Paris, ex. 02:30. Vide: pas de sauvegarde automatique (missive backup run reste possible). Sur un cluster, seul le leader sauvegarde."`
	PassphraseFile string         `toml:"passphrase_file" doc:"Fichier contenant la phrase de passe qui chiffre les sauvegardes (lisible du seul compte du service). Imprimez-la et rangez-la hors du serveur: sans elle, aucune sauvegarde ne se restaure. Jamais copiée sur les cibles."`
	KeepDaily      int            `toml:"keep_daily" doc:"Sauvegardes quotidiennes gardées (la dernière de chaque jour)."`
	KeepWeekly     int            `toml:"keep_weekly" doc:"Sauvegardes hebdomadaires gardées (la dernière de chaque semaine)."`
	KeepMonthly    int            `toml:"keep_monthly" doc:"Sauvegardes mensuelles gardées (la dernière de chaque mois)."`
	Targets        []BackupTarget `toml:"target" doc:"Cibles: chacune reçoit chaque sauvegarde. Une sur place (NAS) et une hors site (Nextcloud, SFTP)."`
}

// BackupTarget is one [[backup.target]].
type BackupTarget struct {
	URL          string `toml:"url" doc:"file:///mnt/nas/missive (dossier local ou monté), webdav+https://compte@cloud.ville.fr/remote.php/dav/files/compte/Sauvegardes (Nextcloud) ou sftp://compte@serveur:22/dossier."`
	PasswordFile string `toml:"password_file" doc:"WebDAV (ou SFTP sans clé): fichier contenant le mot de passe du compte (un mot de passe d'application Nextcloud)."`
	KeyFile      string `toml:"key_file" doc:"SFTP: clé privée SSH du compte, sans phrase de passe."`
	KnownHosts   string `toml:"known_hosts" doc:"SFTP: fichier known_hosts qui contient la clé du serveur (ssh-keyscan -p PORT serveur >> FICHIER); un serveur inconnu est refusé."`
}

// TLS modes.
const (
	TLSNone     = ""
	TLSACME     = "acme"
	TLSInternal = "internal"
	TLSFiles    = "files"
)

// Default is the configuration of a first run in ./data.
func Default() Config {
	return Config{
		Data:        "data",
		Listen:      "127.0.0.1:8080",
		TenantName:  "Ma commune",
		MaxUploadMB: 50,
		LogLevel:    "info",
		HTTPListen:  ":80",
		Backup:      Backup{Schedule: "02:30", KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12},

		SMTPMaxConnections:        50,
		SMTPMaxConnectionsPerAddr: 10,
		MailIntakeMB:              100,
		MailMaxParts:              100,
		MailMaxDepth:              12,
		MailAcksPerHour:           100,
		MailAcksPerSenderPerHour:  5,
		HTTPBodyTimeout:           60,
		HTTPBodyMinRateKB:         8,
		LoginMaxFailures:          5,
		LoginMaxFailuresPerAddr:   20,
	}
}

// Load reads a file over the defaults and validates the result. A missing
// file is an error; the caller decides whether a file is needed at all.
func Load(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("lire la configuration: %w", err)
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("%s: clé inconnue %q (voir `missive config describe`)", path, k.String()))
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	return c, errors.Join(errs...)
}

// Validate reports every invalid field at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, msg string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(msg, args...)))
	}
	if strings.TrimSpace(c.Data) == "" {
		bad("data", "obligatoire")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		bad("listen", "adresse invalide %q: attendu hôte:port, ex. 127.0.0.1:8080", c.Listen)
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		bad("db", "attendu postgres://… ou vide pour SQLite")
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("base_url", "doit commencer par https:// (ou http://)")
	}
	if c.MaxUploadMB < 1 || c.MaxUploadMB > 2048 {
		bad("max_upload_mb", "entre 1 et 2048, pas %d", c.MaxUploadMB)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "debug, info, warn ou error, pas %q", c.LogLevel)
	}
	if c.SMTPListen != "" {
		if _, port, err := net.SplitHostPort(c.SMTPListen); err != nil || port == "" {
			bad("smtp_listen", "adresse invalide %q: attendu hôte:port, ex. :25, ou vide", c.SMTPListen)
		}
	}
	if c.ClusterListen != "" {
		host, port, err := net.SplitHostPort(c.ClusterListen)
		switch {
		case err != nil || port == "" || port == "0":
			bad("cluster_listen", "adresse invalide %q: attendu hôte:port, ex. 10.0.0.5:7000", c.ClusterListen)
		case host == "" || host == "0.0.0.0" || host == "::":
			bad("cluster_listen", "%q: donnez l'adresse par laquelle les autres nœuds joignent celui-ci, pas une adresse générique", c.ClusterListen)
		}
	}
	c.validateTLS(bad)
	c.Backup.validate(bad)
	c.validateLimits(bad)
	return errors.Join(errs...)
}

func (b *Backup) validate(bad func(field, msg string, args ...any)) {
	if _, _, err := ParseSchedule(b.Schedule); err != nil {
		bad("backup.schedule", "%v", err)
	}
	for _, k := range []struct {
		name string
		n    int
	}{{"keep_daily", b.KeepDaily}, {"keep_weekly", b.KeepWeekly}, {"keep_monthly", b.KeepMonthly}} {
		if k.n < 0 || k.n > 1000 {
			bad("backup."+k.name, "entre 0 et 1000, pas %d", k.n)
		}
	}
	if len(b.Targets) > 0 && b.KeepDaily+b.KeepWeekly+b.KeepMonthly == 0 {
		bad("backup.keep_daily", "garder au moins une sauvegarde (keep_daily, keep_weekly ou keep_monthly)")
	}
	if len(b.Targets) > 0 && b.PassphraseFile == "" {
		bad("backup.passphrase_file", "obligatoire avec des cibles: le service en a besoin pour chiffrer chaque nuit")
	}
	for i, t := range b.Targets {
		f := fmt.Sprintf("backup.target[%d].url", i)
		switch {
		case t.URL == "":
			bad(f, "obligatoire")
		case !strings.HasPrefix(t.URL, "file:///") && !strings.HasPrefix(t.URL, "webdav+https://") &&
			!strings.HasPrefix(t.URL, "webdav+http://") && !strings.HasPrefix(t.URL, "sftp://"):
			bad(f, "attendu file:///…, webdav+https://…, webdav+http://… ou sftp://…, pas %q", t.URL)
		}
	}
}

// validateLimits checks the brakes: each in a range where it still
// protects and still lets a town work.
func (c *Config) validateLimits(bad func(field, msg string, args ...any)) {
	for _, l := range []struct {
		field     string
		v, lo, hi int
	}{
		{"smtp_max_connections", c.SMTPMaxConnections, 1, 10000},
		{"smtp_max_connections_per_address", c.SMTPMaxConnectionsPerAddr, 1, 1000},
		{"mail_intake_mb", c.MailIntakeMB, 1, 100000},
		{"mail_max_parts", c.MailMaxParts, 1, 100000},
		{"mail_max_depth", c.MailMaxDepth, 1, 100},
		{"mail_acks_per_hour", c.MailAcksPerHour, 1, 100000},
		{"mail_acks_per_sender_per_hour", c.MailAcksPerSenderPerHour, 1, 1000},
		{"http_body_timeout", c.HTTPBodyTimeout, 5, 3600},
		{"http_body_min_rate_kb", c.HTTPBodyMinRateKB, 1, 100000},
		{"login_max_failures", c.LoginMaxFailures, 1, 100},
		{"login_max_failures_per_address", c.LoginMaxFailuresPerAddr, 1, 10000},
	} {
		if l.v < l.lo || l.v > l.hi {
			bad(l.field, "entre %d et %d, pas %d", l.lo, l.hi, l.v)
		}
	}
}

// ParseSchedule reads "HH:MM" ("" is no schedule: 0, 0, nil).
func ParseSchedule(s string) (hour, minute int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, fmt.Errorf("heure invalide %q: attendu HH:MM, ex. 02:30, ou vide", s)
	}
	return h, m, nil
}

func (c *Config) validateTLS(bad func(field, msg string, args ...any)) {
	if c.Hostname != "" && !ValidHostname(c.Hostname) {
		bad("hostname", "nom d'hôte invalide %q: attendu un nom complet comme courrier.ville.fr", c.Hostname)
	}
	if c.User != "" && !validUser(c.User) {
		bad("user", "nom de compte invalide %q", c.User)
	}
	switch c.TLS {
	case TLSNone:
		return
	case TLSACME, TLSInternal, TLSFiles:
	default:
		bad("tls", "acme, internal, files ou vide, pas %q", c.TLS)
		return
	}
	if c.Hostname == "" {
		bad("hostname", "obligatoire avec tls = %q", c.TLS)
	}
	if c.HTTPListen != "" {
		if _, port, err := net.SplitHostPort(c.HTTPListen); err != nil || port == "" {
			bad("http_listen", "adresse invalide %q: attendu hôte:port, ex. :80, ou vide", c.HTTPListen)
		}
	}
	switch c.TLS {
	case TLSACME:
		if c.ACMEDirectory != "" && !strings.HasPrefix(c.ACMEDirectory, "https://") {
			bad("acme_directory", "doit commencer par https://")
		}
		if c.ACMEEmail != "" && (!strings.Contains(c.ACMEEmail, "@") || strings.ContainsAny(c.ACMEEmail, " <>")) {
			bad("acme_email", "adresse e-mail invalide %q", c.ACMEEmail)
		}
	case TLSFiles:
		if c.CertFile == "" {
			bad("cert_file", "obligatoire avec tls = \"files\"")
		}
		if c.KeyFile == "" {
			bad("key_file", "obligatoire avec tls = \"files\"")
		}
	}
}

// ValidHostname reports whether h is a fully qualified DNS name (at least
// two labels), as a certificate and an SMTP greeting need.
func ValidHostname(h string) bool {
	if len(h) > 253 || !strings.Contains(h, ".") || strings.HasSuffix(h, ".") {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return net.ParseIP(h) == nil
}

func validUser(u string) bool {
	if len(u) > 32 {
		return false
	}
	for i, r := range u {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return true
}

// Describe writes a commented example configuration with the defaults.
func Describe(w io.Writer) error {
	fmt.Fprintln(w, "# missive.toml — configuration de Missive.")
	fmt.Fprintln(w, "# Chaque clé est facultative; la valeur indiquée est celle par défaut.")
	fmt.Fprintln(w, "# Vérifiez un fichier avec: missive config test --config missive.toml")
	return Document(w, Default())
}

// Document writes every key of c with its documentation, as a complete
// commented missive.toml (missive quickstart writes one this way).
func Document(w io.Writer, c Config) error {
	return document(w, reflect.ValueOf(c), "")
}

// document writes the keys of one table; a struct field is a sub-table,
// written after the keys as TOML requires, and a list of structs is shown
// as a commented example.
func document(w io.Writer, v reflect.Value, prefix string) error {
	t := v.Type()
	var tables []int
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			tables = append(tables, i)
			continue
		}
		fmt.Fprintln(w)
		for _, line := range wrap(f.Tag.Get("doc"), 76) {
			fmt.Fprintln(w, "# "+line)
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			if err := documentList(w, f, fv, prefix); err != nil {
				return err
			}
			continue
		}
		var buf strings.Builder
		if err := toml.NewEncoder(&buf).Encode(map[string]any{f.Tag.Get("toml"): fv.Interface()}); err != nil {
			return err
		}
		fmt.Fprint(w, buf.String())
	}
	for _, i := range tables {
		f := t.Field(i)
		fmt.Fprintln(w)
		for _, line := range wrap(f.Tag.Get("doc"), 76) {
			fmt.Fprintln(w, "# "+line)
		}
		fmt.Fprintf(w, "[%s%s]\n", prefix, f.Tag.Get("toml"))
		if err := document(w, v.Field(i), prefix+f.Tag.Get("toml")+"."); err != nil {
			return err
		}
	}
	return nil
}

// documentList writes each element of a list of tables, or one commented
// example of an empty list with each key's documentation.
func documentList(w io.Writer, f reflect.StructField, v reflect.Value, prefix string) error {
	name := prefix + f.Tag.Get("toml")
	if v.Len() > 0 {
		var buf strings.Builder
		if err := toml.NewEncoder(&buf).Encode(map[string]any{f.Tag.Get("toml"): v.Interface()}); err != nil {
			return err
		}
		fmt.Fprint(w, strings.ReplaceAll(buf.String(), "[["+f.Tag.Get("toml")+"]]", "[["+name+"]]"))
		return nil
	}
	et := f.Type.Elem()
	fmt.Fprintf(w, "# Exemple (une section par cible):\n# [[%s]]\n", name)
	for i := 0; i < et.NumField(); i++ {
		ef := et.Field(i)
		for _, line := range wrap(ef.Tag.Get("doc"), 74) {
			fmt.Fprintln(w, "#   "+line)
		}
		fmt.Fprintf(w, "# %s = \"\"\n", ef.Tag.Get("toml"))
	}
	return nil
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

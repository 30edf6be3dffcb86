package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"missive/appliance/config"
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

func runQuickstart(c *cli) error {
	o := installer.QuickstartOptions{Config: config.Default(), Version: version, InitData: quickstartInitData, ServiceUnit: serviceUnit}
	var targets stringList
	cfg := &o.Config
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
	c.fs.StringVar(&o.ConfigPath, "config", "/etc/missive/missive.toml", "fichier de configuration à écrire")
	c.fs.StringVar(&cfg.Data, "data", cfg.Data, "dossier des données")
	c.fs.StringVar(&cfg.DB, "db", "", "base PostgreSQL postgres://…; vide: SQLite dans le dossier des données")
	c.fs.StringVar(&cfg.TenantName, "tenant-name", cfg.TenantName, "nom de la commune")
	c.fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "adresse d'écoute HTTPS")
	c.fs.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "adresse d'écoute HTTP (renvoi vers HTTPS, défis ACME); vide: aucune")
	c.fs.StringVar(&cfg.User, "user", cfg.User, "compte système du service")
	c.fs.BoolVar(&o.NoService, "no-service", false, "ne pas installer ni démarrer le service systemd")
	c.fs.Var(&targets, "backup-target", "cible des sauvegardes nocturnes (répétable): file:///…, webdav+https://compte@hôte/chemin, sftp://compte@hôte:port/chemin")
	if err := c.parse(false); err != nil {
		return err
	}
	o.Command = "missive quickstart " + strings.Join(c.args, " ")
	o.BackupTargets = targets
	res, err := installer.Quickstart(context.Background(), o)
	var refused *installer.RefusedError
	if errors.As(err, &refused) {
		return &exitError{2, err.Error()}
	}
	if err != nil {
		return &exitError{1, err.Error()}
	}
	quickstartReport(c.stdout, res)
	return nil
}

// quickstartInitData creates the tenant and its administrator, as the
// first serve would (opening the data dir records this build in it).
func quickstartInitData(ctx context.Context, cfg config.Config, log *slog.Logger) (string, error) {
	n, password, err := startNode(ctx, &cli{getenv: os.Getenv}, cfg, log, func() (*node, error) {
		n, err := openNode(ctx, cfg, log)
		if err != nil {
			return nil, fmt.Errorf("ouvrir le dossier de données: %w", err)
		}
		return n, nil
	})
	if err != nil {
		return "", err
	}
	n.close()
	if password == "" {
		return "", errors.New("le dossier de données contenait déjà une commune")
	}
	if os.Getenv("MISSIVE_ADMIN_PASSWORD") != "" {
		return "", nil
	}
	return password, nil
}

// quickstartReport tells the IT person what was installed and what is left
// to do around the server.
func quickstartReport(w io.Writer, q installer.QuickstartResult) {
	cfg := q.Config
	logPath := q.LogPath
	url := "https://" + hostPort(cfg.Hostname, cfg.Listen, "443") + "/"
	if installer.ListenPort(cfg.Listen) == "0" {
		url = "https://" + cfg.Hostname + ":PORT/ (port attribué au démarrage)"
	}
	fmt.Fprintf(w, "Missive est installé.\n\n")
	fmt.Fprintf(w, "  Adresse:          %s\n", url)
	fmt.Fprintf(w, "  Administrateur:   admin\n")
	if q.Password != "" {
		fmt.Fprintf(w, "  Mot de passe:     %s\n", q.Password)
		fmt.Fprintf(w, "                    (affiché une seule fois: notez-le; « missive user passwd --login admin » le change)\n")
	} else {
		fmt.Fprintf(w, "  Mot de passe:     celui de MISSIVE_ADMIN_PASSWORD\n")
	}
	fmt.Fprintf(w, "  Configuration:    %s\n", q.ConfigPath)
	fmt.Fprintf(w, "  Données:          %s\n", cfg.Data)
	switch cfg.TLS {
	case config.TLSInternal:
		fmt.Fprintf(w, "\nCertificat: autorité locale, valable jusqu'au %s, renouvelé tout seul.\n", q.Leaf.NotAfter.Format("02/01/2006"))
		fmt.Fprintf(w, "Déployez sa racine sur les postes (stratégie de groupe, « Autorités de certification racines de confiance »):\n")
		fmt.Fprintf(w, "  missive tls export-ca --config %s --out missive-ca.crt\n", q.ConfigPath)
	case config.TLSFiles:
		fmt.Fprintf(w, "\nCertificat: %s, valable jusqu'au %s; remplacez les fichiers pour le renouveler (relus tout seuls).\n", cfg.CertFile, q.Leaf.NotAfter.Format("02/01/2006"))
	case config.TLSACME:
		dir := cfg.ACMEDirectory
		if dir == "" {
			dir = "Let's Encrypt"
		}
		fmt.Fprintf(w, "\nCertificat: demandé à %s au démarrage, renouvelé tout seul.\n", dir)
	}
	fmt.Fprintf(w, "\nSauvegardes chiffrées, chaque nuit à %s:\n", cfg.Backup.Schedule)
	fmt.Fprintf(w, "  Phrase de passe:  %s\n", q.Passphrase)
	fmt.Fprintf(w, "                    IMPRIMEZ-LA et rangez-la hors du serveur (coffre de la mairie): sans elle,\n")
	fmt.Fprintf(w, "                    aucune sauvegarde ne se restaure. Copie pour le service: %s\n", cfg.Backup.PassphraseFile)
	if len(cfg.Backup.Targets) == 0 {
		fmt.Fprintf(w, "  Cibles:           aucune encore: ajoutez une section [[backup.target]] à %s\n", q.ConfigPath)
		fmt.Fprintf(w, "                    (NAS: url = \"file:///mnt/nas/missive\"; Nextcloud: url = \"webdav+https://…\"), puis redémarrez\n")
	}
	for _, t := range cfg.Backup.Targets {
		fmt.Fprintf(w, "  Cible:            %s\n", t.URL)
	}
	fmt.Fprintf(w, "  État:             missive backup status --config %s\n", q.ConfigPath)
	fmt.Fprintf(w, "\nÀ régler autour du serveur:\n")
	fmt.Fprintf(w, "  - DNS: %s doit désigner ce serveur (enregistrement A ou AAAA).\n", cfg.Hostname)
	fmt.Fprintf(w, "  - Pare-feu: ouvrir %s (HTTPS)", installer.ListenPort(cfg.Listen))
	if cfg.HTTPListen != "" {
		fmt.Fprintf(w, " et %s (renvoi vers HTTPS%s)", installer.ListenPort(cfg.HTTPListen), map[bool]string{true: ", défis ACME", false: ""}[cfg.TLS == config.TLSACME])
	}
	fmt.Fprintf(w, ", et 25 pour recevoir le courrier par SMTP.\n")
	fmt.Fprintf(w, "\nMessagerie (« missive mail … -h » détaille chaque commande):\n")
	fmt.Fprintf(w, "  - Adresses reçues:  missive mail address add mairie@ville.fr  (MX du domaine vers %s, ou règle de transfert Exchange/BlueMind)\n", cfg.Hostname)
	fmt.Fprintf(w, "  - Boîte IMAP:       missive mail mailbox add --host imap.ville.fr …  (relève une boîte existante)\n")
	fmt.Fprintf(w, "  - Envoi des accusés: missive mail relay set --host smtp.ville.fr --port 587 …\n")
	fmt.Fprintf(w, "  - Réception SMTP:   smtp_listen = \":25\" dans %s (STARTTLS avec le certificat du site), puis redémarrer\n", q.ConfigPath)
	fmt.Fprintf(w, "  - Ou tout cela dans l'interface: Administration › Courrier électronique (« Tester la connexion »)\n")
	fmt.Fprintf(w, "\nEnsuite:\n")
	if q.NoService {
		fmt.Fprintf(w, "  missive serve --config %s      lance Missive (service non installé: --no-service)\n", q.ConfigPath)
	} else {
		fmt.Fprintf(w, "  systemctl status missive        état du service (journalctl -u missive pour les journaux)\n")
	}
	fmt.Fprintf(w, "  missive doctor --config %s      vérifie l'installation et dit quoi corriger\n", q.ConfigPath)
	for _, warn := range q.Warnings {
		fmt.Fprintf(w, "\nAttention: %s\n", warn)
	}
	fmt.Fprintf(w, "\nJournal de l'installation: %s\n", logPath)
}

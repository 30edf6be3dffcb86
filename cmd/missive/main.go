// Command missive is the one binary of Missive: the server and the
// administration commands. Each subcommand lives in the tables below with its
// flags and help text side by side; the help text is the reference.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name  string // words after "missive", e.g. "user add"
	args  string // usage after the flags
	short string
	long  string
	run   func(c *cli) error
}

var commands []command

// init lists the commands by topic, in the order help shows them: a
// function per topic keeps each list short. In init, as before, so that
// run functions may read the list (usage, find) without an
// initialisation cycle.
func init() {
	commands = slices.Concat(
		serverCommands(),
		accountCommands(),
		dataCommands(),
		installCommands(),
		mailCommands(),
		clusterCommands(),
		devCommands(),
	)
}

// serverCommands are the commands for the server itself.
func serverCommands() []command {
	return []command{
		{"serve", "", "lancer le serveur Missive",
			`Lance Missive: interface web, API JSON, partage WebDAV (/dav/) et, s'ils sont
configurés, l'entrée SMTP/IMAP du courrier et l'export GED, sur --listen, en HTTP
simple sur une adresse locale quand aucun TLS n'est configuré.
Au premier démarrage d'un dossier de données vide, crée la commune "default",
l'entité racine, quelques types de courrier et l'utilisateur "admin", et affiche
une seule fois son mot de passe (ou prend MISSIVE_ADMIN_PASSWORD s'il est défini).
Avec --cluster-listen, ouvre le port de cluster (TLS mutuel): le premier nœud crée
l'autorité du cluster et admet les suivants (missive cluster token); un nouveau nœud
rejoint avec --join et --token au premier démarrage, puis redémarre sans eux. Chaque
nœud accepte les écritures et les transmet au leader.`, runServe},
	}
}

// accountCommands are the commands for users, API tokens and the tenant's own details.
func accountCommands() []command {
	return []command{
		{"user add", "", "créer un utilisateur",
			`Crée un utilisateur dans la commune. Sans --password-stdin, un mot de passe est
généré et affiché. Passe par le serveur en marche (socket de contrôle) ou, s'il
est arrêté, ouvre le dossier de données directement.`, runUserAdd},
		{"user list", "", "lister les utilisateurs", `Liste les utilisateurs de la commune.`, runUserList},
		{"user passwd", "", "changer un mot de passe",
			`Change le mot de passe d'un utilisateur; le nouveau est lu sur l'entrée standard
(--password-stdin) ou généré et affiché.`, runUserPasswd},
		{"token create", "", "créer un jeton d'API",
			`Crée un jeton d'API pour un utilisateur et l'affiche (une seule fois). Utilisation:
  curl -H "Authorization: Bearer $JETON" http://127.0.0.1:8080/api/v1/letters
Avec --expires AAAA-MM-JJ, le jeton cesse de fonctionner après ce jour. Changer le
mot de passe de l'utilisateur, ou le désactiver, révoque tous ses jetons.`, runTokenCreate},
		{"token list", "", "lister les jetons d'API",
			`Liste les jetons d'API d'un utilisateur (--user), ou de tous: identifiant, état
(actif, révoqué, expiré), dates de création et d'expiration, libellé. Le jeton
lui-même n'est jamais affiché: seule son empreinte est gardée.`, runTokenList},
		{"token revoke", "", "révoquer un jeton d'API",
			`Révoque un jeton d'API par son identifiant (--id, colonne ID de « missive token
list »): il cesse aussitôt de fonctionner, pour l'API comme pour WebDAV.`, runTokenRevoke},
		{"tenant set", "", "régler le nom et les coordonnées de la commune", tenantSetHelp, runTenantSet},
		{"tenant show", "", "afficher le nom et les coordonnées de la commune",
			`Affiche le nom, l'adresse, le téléphone, l'adresse électronique et le site de la commune,
et si les jours fériés d'Alsace-Moselle comptent dans ses dates limites.`, runTenantShow},
	}
}

// dataCommands are the commands for the history's integrity and backups.
func dataCommands() []command {
	return []command{
		{"history verify", "", "vérifier l'intégrité de l'historique et des courriers",
			`Relit tout l'historique et vérifie la chaîne SHA-256 de ses entrées, leurs
signatures (HMAC, clé tirée de secrets.key, qui n'est pas dans la base), les points
de contrôle signés, et que chaque courrier est encore tel que sa dernière entrée
d'historique l'a laissé. Dit à partir de quelle entrée l'historique est signé
(les entrées écrites avant la signature ne sont protégées que par la chaîne).
Sort avec le code 1 et nomme la première entrée ou le courrier altéré si une
ligne a été modifiée, insérée ou supprimée, même en recalculant la chaîne.
Peut tourner pendant que le serveur est en marche. --json ajoute l'index raft
appliqué et l'empreinte SHA-256 de tout l'état répliqué à cet index (applied_index,
state_sha256): dans un cluster, deux nœuds au même index doivent avoir la même.`, runHistoryVerify},
		{"history checkpoint", "", "signer maintenant la tête de l'historique",
			`Inscrit au journal raft un point de contrôle signé de l'historique: son
numéro et son empreinte, signés avec la clé tirée de secrets.key. Il est alors
dans la base de chaque nœud, dans chaque instantané raft et dans chaque
sauvegarde. Le serveur en inscrit un de lui-même toutes les heures quand
l'historique a avancé; utile avant une sauvegarde.`, runHistoryCheckpoint},
		{"backup run", "", "sauvegarder maintenant (chiffré, vérifié)", backupRunHelp, runBackupRun},
		{"backup list", "", "lister les sauvegardes d'une cible", backupListHelp, runBackupList},
		{"backup verify", "", "vérifier les sauvegardes d'une cible", backupVerifyHelp, runBackupVerify},
		{"backup restore", "", "restaurer une sauvegarde dans un dossier neuf", backupRestoreHelp, runBackupRestore},
		{"backup prune", "", "supprimer les sauvegardes trop anciennes", backupPruneHelp, runBackupPrune},
		{"backup status", "", "état des sauvegardes (code 1 si à corriger)", backupStatusHelp, runBackupStatus},
	}
}

// installCommands are the commands for configuration, installation and the service.
func installCommands() []command {
	return []command{
		{"config describe", "", "afficher un fichier de configuration commenté",
			`Affiche un missive.toml d'exemple: chaque clé, sa documentation et sa valeur
par défaut.`, runConfigDescribe},
		{"config test", "", "vérifier un fichier de configuration",
			`Lit --config et signale toutes ses erreurs d'un coup. Code de sortie 1 s'il y en a.`, runConfigTest},
		{"version", "", "afficher la version", `Affiche la version de Missive.`, runVersion},
		{"quickstart", "", "installer Missive sur ce serveur", quickstartHelp, runQuickstart},
		{"doctor", "", "vérifier une installation et dire quoi corriger", doctorHelp, runDoctor},
		{"service install", "", "installer le service systemd", serviceHelp, runService("install")},
		{"service uninstall", "", "retirer le service systemd", serviceHelp, runService("uninstall")},
		{"service start", "", "démarrer le service", serviceHelp, runService("start")},
		{"service stop", "", "arrêter le service", serviceHelp, runService("stop")},
		{"service status", "", "état du service", serviceHelp, runService("status")},
		{"tls export-ca", "", "exporter la racine de l'autorité locale", tlsExportCAHelp, runTLSExportCA},
	}
}

// mailCommands are the commands for e-mail, the GED export, OnlyOffice and WebDAV locks.
func mailCommands() []command {
	return []command{
		{"mail address add", "ADRESSE", "recevoir le courrier d'une adresse", mailAddressHelp, runMailAddressAdd},
		{"mail relay set", "", "régler le relais SMTP sortant", mailRelayHelp, runMailRelaySet},
		{"mail mailbox add", "", "relever une boîte IMAP", mailMailboxHelp, runMailMailboxAdd},
		{"mail rule add", "", "router le courrier électronique", mailRuleHelp, runMailRuleAdd},
		{"mail ack set", "", "régler l'envoi des accusés de réception", mailAckHelp, runMailAckSet},
		{"mail status", "", "afficher la configuration de la messagerie", `Affiche les adresses, le relais, les boîtes relevées et les avis à l'administrateur.`, runMailStatus},
		{"ged set", "", "régler l'export vers la GED (Nextcloud, Alfresco)", gedSetHelp, runGEDSet},
		{"ged status", "", "afficher la GED de la commune", `Affiche le dossier WebDAV de la GED, son identifiant et si les courriers y partent à leur clôture.`, runGEDStatus},
		{"ged export", "NUMÉRO", "exporter un courrier vers la GED", gedExportHelp, runGEDExport},
		{"onlyoffice set", "", "régler le Document Server OnlyOffice", onlyofficeSetHelp, runOnlyOfficeSet},
		{"dav locks", "", "lister les verrous WebDAV", davLocksHelp, runDavLocks},
		{"dav unlock", "", "lever un verrou WebDAV", davUnlockHelp, runDavUnlock},
	}
}

// clusterCommands are the commands for the cluster's nodes.
func clusterCommands() []command {
	return []command{
		{"cluster token", "", "créer un jeton d'adhésion au cluster", clusterTokenHelp, runClusterToken},
		{"cluster status", "", "état des nœuds du cluster", clusterStatusHelp, runClusterStatus},
		{"cluster check", "", "documents manquants ou altérés sur chaque nœud", clusterCheckHelp, runClusterCheck},
		{"cluster remove", "NŒUD", "retirer un nœud du cluster", clusterRemoveHelp, runClusterMember("cluster.remove")},
		{"cluster promote", "NŒUD", "faire voter un nœud", clusterPromoteHelp, runClusterMember("cluster.promote")},
		{"cluster demote", "NŒUD", "retirer le vote à un nœud", clusterDemoteHelp, runClusterMember("cluster.demote")},
		{"cluster recover", "", "refaire un cluster avec les nœuds survivants (quorum perdu pour de bon)", clusterRecoverHelp, runClusterRecover},
		{"cluster rejoin", "", "reconstruire l'état raft de ce nœud depuis le leader", clusterRejoinHelp, runClusterRejoin},
	}
}

// devCommands are the commands for development: sample data and load.
func devCommands() []command {
	return []command{
		{"dev seed", "", "remplir un dossier de courriers réalistes (développement)", devSeedHelp, runDevSeed},
		{"dev bench", "", "mesurer un serveur en marche (développement)", devBenchHelp, runDevBench},
	}
}

// cli is one invocation: its flags and output streams.
type cli struct {
	fs     *flag.FlagSet
	args   []string
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	getenv func(string) string
	common commonFlags
}

// exitError carries a process exit code up to main.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 2 && args[0] == "help" && args[1] == "--markdown" {
		markdown(stdout)
		return 0
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	cmd, rest := find(args)
	if cmd == nil {
		fmt.Fprintf(stderr, "missive: commande inconnue %q\n\n", strings.Join(args, " "))
		usage(stderr)
		return 2
	}
	c := &cli{fs: flag.NewFlagSet("missive "+cmd.name, flag.ContinueOnError), stdout: stdout, stderr: stderr, stdin: stdin, getenv: getenv}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() {
		args := cmd.args
		if args != "" {
			args = " " + args
		}
		fmt.Fprintf(stderr, "Usage: missive %s [options]%s\n\n%s\n\nOptions:\n", cmd.name, args, cmd.long)
		c.fs.PrintDefaults()
	}
	c.args = rest
	if err := cmd.run(c); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, "missive: "+ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "missive: "+err.Error())
		return 1
	}
	return 0
}

// find matches the longest command name at the start of args.
func find(args []string) (*command, []string) {
	for n := 3; n >= 1; n-- {
		if len(args) < n {
			continue
		}
		name := strings.Join(args[:n], " ")
		for i := range commands {
			if commands[i].name == name {
				return &commands[i], args[n:]
			}
		}
	}
	return nil, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Missive — gestion électronique du courrier des mairies.")
	fmt.Fprintln(w, "\nUsage: missive <commande> [options]\n\nCommandes:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\n« missive <commande> -h » détaille chaque commande.")
}

// parse parses the command's flags; positional arguments are refused
// unless the command takes some.
func (c *cli) parse(positional bool) error {
	if err := c.fs.Parse(c.args); err != nil {
		return err
	}
	if !positional && c.fs.NArg() > 0 {
		return &exitError{2, fmt.Sprintf("argument inattendu %q (voir missive %s -h)", c.fs.Arg(0), strings.TrimPrefix(c.fs.Name(), "missive "))}
	}
	return nil
}

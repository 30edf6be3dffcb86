package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"missive/appliance/config"
	"missive/appliance/control"
	"missive/mailbridge"
)

// The mail bridge's settings: receiving addresses, the outgoing relay, the
// IMAP mailboxes. Like `missive user …`, they go through the running
// server's control socket, or open the data dir when it is stopped.

const mailAddressHelp = `Fait arriver dans la commune le courrier adressé à ADRESSE: par SMTP (missive serve
--smtp, derrière l'enregistrement MX ou une règle de transfert Exchange/BlueMind)
comme par une boîte IMAP relevée. Tout autre destinataire est refusé (550): Missive
n'est jamais un relais ouvert. --entity et --doctype donnent l'entité et le type de
courrier par défaut de ce qui arrive à cette adresse.`

const mailRelayHelp = `Règle le relais SMTP sortant de la commune (Exchange, BlueMind, le serveur de
l'intercommunalité): les accusés de réception et les avis partent par lui, depuis
une file durable, avec nouvelles tentatives espacées. Le mot de passe est lu sur
l'entrée standard (--password-stdin).`

const mailMailboxHelp = `Ajoute une boîte IMAP à relever (Exchange, BlueMind, Dovecot…): chaque message du
dossier --folder devient un courrier, puis est déplacé dans --done une fois
enregistré. Le mot de passe (ou, avec --xoauth2, le jeton OAuth d'Exchange Online)
est lu sur l'entrée standard (--password-stdin).`

func runMailAddressAdd(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "mail.address.add", Mail: &control.MailRequest{}}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Mail.Entity, "entity", "", "code de l'entité destinataire par défaut")
	c.fs.StringVar(&req.Mail.Doctype, "doctype", "", "code du type de courrier par défaut")
	if err := c.parse(true); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return &exitError{2, "une adresse est attendue, ex. « missive mail address add mairie@ville.fr »"}
	}
	req.Mail.Address = c.fs.Arg(0)
	return c.control(req)
}

func runMailRelaySet(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "mail.relay.set", Mail: &control.MailRequest{}}
	var starttls, tls, stdin bool
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Mail.Host, "host", "", "nom du relais (obligatoire)")
	c.fs.IntVar(&req.Mail.Port, "port", 587, "port du relais")
	c.fs.BoolVar(&starttls, "starttls", false, "passer en TLS par STARTTLS (port 587)")
	c.fs.BoolVar(&tls, "tls", false, "TLS dès la connexion (port 465)")
	c.fs.StringVar(&req.Mail.User, "user", "", "identifiant d'authentification SMTP")
	c.fs.BoolVar(&stdin, "password-stdin", false, "lire le mot de passe SMTP sur l'entrée standard")
	c.fs.StringVar(&req.Mail.From, "from", "", "adresse d'expédition des accusés de réception, ex. mairie@ville.fr")
	c.fs.StringVar(&req.Mail.FromName, "from-name", "", "nom d'expéditeur affiché, ex. « Mairie de Berre-l'Étang »")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.Mail.Host == "" {
		return &exitError{2, "--host est obligatoire"}
	}
	if starttls && tls {
		return &exitError{2, "--starttls et --tls s'excluent"}
	}
	req.Mail.Security = "plain"
	if starttls {
		req.Mail.Security = "starttls"
	}
	if tls {
		req.Mail.Security = "tls"
	}
	if stdin {
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		req.Mail.Password = pw
	}
	return c.control(req)
}

func runMailMailboxAdd(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "mail.mailbox.add", Mail: &control.MailRequest{}}
	var tls, starttls, plain, stdin, xoauth2 bool
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Mail.Host, "host", "", "serveur IMAP (obligatoire)")
	c.fs.IntVar(&req.Mail.Port, "port", 993, "port IMAP")
	c.fs.BoolVar(&tls, "tls", false, "TLS dès la connexion (défaut, port 993)")
	c.fs.BoolVar(&starttls, "starttls", false, "passer en TLS par STARTTLS (port 143)")
	c.fs.BoolVar(&plain, "plain", false, "sans TLS (réseau local de confiance seulement)")
	c.fs.StringVar(&req.Mail.User, "user", "", "identifiant de la boîte (obligatoire)")
	c.fs.BoolVar(&stdin, "password-stdin", false, "lire le mot de passe (ou le jeton OAuth) sur l'entrée standard (obligatoire)")
	c.fs.BoolVar(&xoauth2, "xoauth2", false, "s'authentifier par XOAUTH2 avec un jeton OAuth (Exchange Online)")
	c.fs.StringVar(&req.Mail.Folder, "folder", "INBOX", "dossier relevé")
	c.fs.StringVar(&req.Mail.DoneFolder, "done", "Traités", "dossier où ranger les messages enregistrés")
	if err := c.parse(false); err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{tls, starttls, plain} {
		if b {
			n++
		}
	}
	switch {
	case req.Mail.Host == "" || req.Mail.User == "":
		return &exitError{2, "--host et --user sont obligatoires"}
	case !stdin:
		return &exitError{2, "--password-stdin est obligatoire: le mot de passe ne passe jamais sur la ligne de commande"}
	case n > 1:
		return &exitError{2, "--tls, --starttls et --plain s'excluent"}
	}
	req.Mail.Security = "tls"
	if starttls {
		req.Mail.Security = "starttls"
	}
	if plain {
		req.Mail.Security = "plain"
	}
	if xoauth2 {
		req.Mail.Auth = "xoauth2"
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	req.Mail.Password = pw
	return c.control(req)
}

func runMailStatus(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "mail.status"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

// startMail runs the mail bridge: the outbox sender and the IMAP pollers
// (on the leader only), and the SMTP listener the frontend bound, with
// STARTTLS on the site's certificate when TLS is set. It returns the
// bridge, for the web UI's and the API's connection tests, and the
// function that stops it.
func startMail(ctx context.Context, c *cli, cfg config.Config, n *node, fe *frontend, log *slog.Logger) (*mailbridge.Bridge, func(), error) {
	host := cfg.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	spool, err := spoolDir(cfg.Data)
	if err != nil {
		return nil, nil, err
	}
	opt := mailbridge.Options{Leader: n.cluster.Leader, LeaderChanged: n.cluster.LeaderChanged, Hostname: host,
		MaxConns: cfg.SMTPMaxConnections, MaxConnsPerAddr: cfg.SMTPMaxConnectionsPerAddr, IntakeMemory: int64(cfg.MailIntakeMB) << 20,
		Limits: mailbridge.ParseLimits{MaxParts: cfg.MailMaxParts, MaxDepth: cfg.MailMaxDepth}, SpoolDir: spool,
		AckPerHour: cfg.MailAcksPerSenderPerHour, AckPerHourTotal: cfg.MailAcksPerHour}
	if tc := fe.TLSConfig(); tc != nil && fe.smtpLn != nil {
		// One certificate serves HTTPS, SMTP STARTTLS and WebDAV; the
		// ALPN names are HTTP's and ACME's, not SMTP's.
		opt.TLS = tc.Clone()
		opt.TLS.NextProtos = nil
	}
	b := mailbridge.New(n.svc, log, opt)
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); b.Run(bctx) }()
	stop := func() { cancel(); <-done }
	if fe.smtpLn == nil {
		return b, stop, nil
	}
	s := b.ServeSMTP(fe.smtpLn)
	tlsNote := ""
	if opt.TLS != nil {
		tlsNote = " (STARTTLS)"
	}
	fmt.Fprintf(c.stdout, "Missive reçoit le courrier SMTP sur %s%s\n", s.Addr(), tlsNote)
	return b, func() { s.Close(); stop() }, nil
}

// spoolDir is where SMTP messages wait while they arrive: DATA/spool,
// owner-only, emptied at start (a message a crash left there never got its
// 250: its sender sends it again).
func spoolDir(data string) (string, error) {
	dir := filepath.Join(data, "spool")
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("empty the SMTP spool %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the SMTP spool %s: %w", dir, err)
	}
	return dir, nil
}

const mailRuleHelp = `Ajoute une règle de routage du courrier électronique: un message adressé à
--recipient, ou contenant l'un des --keywords (séparés par des virgules, dans l'objet
ou le texte, sans tenir compte des accents ni des majuscules), va à l'entité --entity
avec le type --doctype. Les règles sont essayées par --position croissante; sans règle
applicable, le courrier va à la bannette du service courrier.`

func runMailRuleAdd(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "mail.rule.add", Mail: &control.MailRequest{}}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Mail.Address, "recipient", "", "adresse destinataire à laquelle la règle s'applique")
	c.fs.StringVar(&req.Mail.Keywords, "keywords", "", "mots-clés séparés par des virgules, ex. « permis de construire, urbanisme »")
	c.fs.StringVar(&req.Mail.Entity, "entity", "", "code de l'entité destinataire")
	c.fs.StringVar(&req.Mail.Doctype, "doctype", "", "code du type de courrier")
	c.fs.IntVar(&req.Mail.Position, "position", 0, "ordre d'essai de la règle")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

const mailAckHelp = `Dit quand les courriers électroniques reçoivent leur accusé de réception: auto (dès
l'enregistrement), qualified (une fois le courrier qualifié: le service et la date
limite y figurent alors) ou never. Sans --doctype, règle la valeur par défaut de la
commune; avec, celle d'un type de courrier.`

func runMailAckSet(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "mail.ack.set", Mail: &control.MailRequest{}}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Mail.Doctype, "doctype", "", "code du type de courrier (vide: valeur par défaut)")
	c.fs.StringVar(&req.Mail.Policy, "policy", "", "auto, qualified ou never (obligatoire)")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.Mail.Policy == "" {
		return &exitError{2, "--policy est obligatoire: auto, qualified ou never"}
	}
	return c.control(req)
}

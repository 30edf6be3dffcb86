package main

import (
	"context"
	"log/slog"

	"missive/appliance/control"
	"missive/webdav/ged"
)

// The GED export's and OnlyOffice's settings. Like `missive mail …`, they go
// through the running server's control socket, or open the data dir when it
// is stopped.

const gedSetHelp = `Règle la GED de la commune: le dossier WebDAV où chaque courrier clos est exporté,
dans un sous-dossier <année>/<numéro>/ (document principal, réponse finale en PDF,
metadata.json et metadata.csv avec les empreintes SHA-256). Nextcloud:
  --url https://cloud.ville.fr/remote.php/dav/files/COMPTE/Courrier/
Alfresco: --url https://ged.ville.fr/alfresco/webdav/Sites/courrier/documentLibrary/
Le mot de passe (un mot de passe d'application Nextcloud, de préférence) est lu sur
l'entrée standard (--password-stdin). Les exports partent d'une file durable, avec
nouvelles tentatives espacées; régler la GED à nouveau relance ceux qui avaient échoué.
--manual: n'exporter qu'à la demande (bouton « Exporter vers la GED »).`

const gedExportHelp = `Demande l'export d'un courrier vers la GED, par son numéro chrono (ex. 2026/A/000123).
Un export déjà en attente n'est pas doublé.`

const onlyofficeSetHelp = `Règle le Document Server OnlyOffice de la commune (facultatif): --url est son adresse,
le secret JWT (services.CoAuthoring.secret.* de sa configuration, 16 caractères au moins)
est lu sur l'entrée standard (--secret-stdin). Les documents s'ouvrent alors dans
OnlyOffice depuis la page du courrier et chaque enregistrement y crée une version.`

func runGEDSet(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "ged.set", GED: &control.GEDRequest{}}
	var stdin bool
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.GED.URL, "url", "", "dossier WebDAV de la GED (obligatoire)")
	c.fs.StringVar(&req.GED.User, "user", "", "identifiant WebDAV")
	c.fs.BoolVar(&stdin, "password-stdin", false, "lire le mot de passe sur l'entrée standard")
	c.fs.BoolVar(&req.GED.Manual, "manual", false, "exporter à la demande seulement, pas à la clôture")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.GED.URL == "" {
		return &exitError{2, "--url est obligatoire"}
	}
	if stdin {
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		req.GED.Password = pw
	}
	return c.control(req)
}

func runGEDStatus(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "ged.status"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

func runGEDExport(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "ged.export", GED: &control.GEDRequest{}}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	if err := c.parse(true); err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return &exitError{2, "un numéro chrono est attendu, ex. « missive ged export 2026/A/000123 »"}
	}
	req.GED.Letter = c.fs.Arg(0)
	return c.control(req)
}

func runOnlyOfficeSet(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "onlyoffice.set", GED: &control.GEDRequest{}}
	var stdin bool
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.GED.URL, "url", "", "adresse du Document Server (obligatoire)")
	c.fs.BoolVar(&stdin, "secret-stdin", false, "lire le secret JWT sur l'entrée standard (obligatoire)")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.GED.URL == "" || !stdin {
		return &exitError{2, "--url et --secret-stdin sont obligatoires: le secret ne passe jamais sur la ligne de commande"}
	}
	s, err := c.readPassword()
	if err != nil {
		return err
	}
	req.GED.Password = s
	return c.control(req)
}

// startGED runs the GED exporter (on the leader only). The returned
// function stops it.
func startGED(ctx context.Context, n *node, log *slog.Logger) func() {
	e := ged.New(n.svc, log, ged.Options{Leader: n.cluster.Leader, LeaderChanged: n.cluster.LeaderChanged})
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.Run(gctx) }()
	return func() { cancel(); <-done }
}

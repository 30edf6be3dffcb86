package main

import "missive/appliance/control"

// The WebDAV share's locks. Like `missive mail …`, these go through the
// running server's control socket, or open the data dir when it is stopped.

const davLocksHelp = `Liste les verrous WebDAV actifs de la commune: la ressource verrouillée
(/<dossier>/<fichier> dans le partage /dav/<commune>/), son jeton, l'utilisateur et l'échéance.`

const davUnlockHelp = `Lève un verrou WebDAV resté en place (un éditeur arrêté sans rendre la main),
désigné par son jeton (--token, voir « missive dav locks ») ou par la ressource
(--path /2026-A-000001/reponse-2026-A-000001.odt). Les modifications non enregistrées
de l'éditeur qui tenait le verrou ne sont pas perdues pour lui mais pourront entrer
en conflit: prévenez-le. L'historique du courrier garde la levée du verrou.`

func runDavLocks(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "dav.locks"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

func runDavUnlock(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "dav.unlock", DAV: &control.DAVRequest{}}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.DAV.Token, "token", "", "jeton du verrou (urn:uuid:…)")
	c.fs.StringVar(&req.DAV.Path, "path", "", "ressource verrouillée, ex. /2026-A-000001/reponse.odt")
	if err := c.parse(false); err != nil {
		return err
	}
	if (req.DAV.Token == "") == (req.DAV.Path == "") {
		return &exitError{2, "--token ou --path, l'un des deux"}
	}
	return c.control(req)
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"missive/appliance"
	"missive/appliance/config"
	"missive/appliance/control"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// control sends an operation to the running server, or performs it on the
// data dir directly when no server is running (not a cluster operation:
// only a running node knows its cluster).
func (c *cli) control(req control.Request) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	resp, err := control.Call(cfg.Data, req)
	if errors.Is(err, control.ErrNoServer) && strings.HasPrefix(req.Op, "cluster.") {
		return &exitError{1, fmt.Sprintf("aucun serveur missive en marche sur %s: les commandes « missive cluster » passent par le serveur en marche (missive serve)", cfg.Data)}
	}
	if errors.Is(err, control.ErrNoServer) {
		log := newLogger(cfg, c)
		ctx := context.Background()
		n, err := openNode(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer n.close()
		if _, err := n.store.Reader().Tenant(ctx, "default"); err != nil && req.Tenant == "default" {
			return &exitError{1, fmt.Sprintf("le dossier %s n'a jamais été initialisé: lancez d'abord « missive serve --data %s »", cfg.Data, cfg.Data)}
		}
		resp = control.Run(ctx, n.svc, req)
	} else if err != nil {
		return err
	}
	if resp.Error != "" {
		return &exitError{resp.Code, resp.Error}
	}
	fmt.Fprint(c.stdout, resp.Output)
	return nil
}

func (c *cli) readPassword() (string, error) {
	sc := bufio.NewScanner(c.stdin)
	if !sc.Scan() {
		return "", &exitError{2, "aucun mot de passe lu sur l'entrée standard"}
	}
	return strings.TrimRight(sc.Text(), "\r\n"), nil
}

func runUserAdd(c *cli) error {
	c.dataFlags()
	var req control.Request
	var entities stringList
	var stdin bool
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Login, "login", "", "identifiant (obligatoire): minuscules, chiffres, . _ -")
	c.fs.StringVar(&req.Name, "name", "", "nom affiché")
	c.fs.StringVar(&req.Email, "email", "", "adresse e-mail")
	c.fs.StringVar(&req.Role, "role", "agent", "rôle: admin, mailroom (service courrier), agent, elected (élu, lecture seule)")
	c.fs.Var(&entities, "entity", "code d'entité dont l'utilisateur est membre (répétable)")
	c.fs.BoolVar(&req.Manager, "manager", false, "responsable de ses entités: voit aussi leurs sous-entités")
	c.fs.BoolVar(&stdin, "password-stdin", false, "lire le mot de passe sur l'entrée standard au lieu d'en générer un")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.Login == "" {
		return &exitError{2, "--login est obligatoire"}
	}
	if stdin {
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		req.Password = pw
	}
	req.Op, req.Entities = "user.add", entities
	return c.control(req)
}

func runUserList(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "user.list"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

func runUserPasswd(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "user.passwd"}
	var stdin bool
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Login, "login", "", "identifiant (obligatoire)")
	c.fs.BoolVar(&stdin, "password-stdin", false, "lire le mot de passe sur l'entrée standard au lieu d'en générer un")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.Login == "" {
		return &exitError{2, "--login est obligatoire"}
	}
	if stdin {
		pw, err := c.readPassword()
		if err != nil {
			return err
		}
		req.Password = pw
	} else {
		req.Password = appliance.GeneratePassword()
		defer fmt.Fprintf(c.stdout, "Nouveau mot de passe: %s\n", req.Password)
	}
	return c.control(req)
}

func runTokenCreate(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "token.create"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Login, "user", "", "identifiant de l'utilisateur du jeton (obligatoire)")
	c.fs.StringVar(&req.Name, "name", "", "libellé du jeton, ex. « script d'import »")
	c.fs.StringVar(&req.Expires, "expires", "", "dernier jour de validité, AAAA-MM-JJ (heure de Paris); vide: sans expiration")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.Login == "" {
		return &exitError{2, "--user est obligatoire"}
	}
	return c.control(req)
}

func runTokenList(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "token.list"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.Login, "user", "", "identifiant de l'utilisateur; vide: les jetons de tous")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

func runTokenRevoke(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "token.revoke"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	c.fs.StringVar(&req.TokenID, "id", "", "identifiant du jeton (obligatoire), colonne ID de « missive token list »")
	if err := c.parse(false); err != nil {
		return err
	}
	if req.TokenID == "" {
		return &exitError{2, "--id est obligatoire"}
	}
	return c.control(req)
}

func runConfigDescribe(c *cli) error {
	if err := c.parse(false); err != nil {
		return err
	}
	return config.Describe(c.stdout)
}

func runConfigTest(c *cli) error {
	var path string
	c.fs.StringVar(&path, "config", "", "fichier à vérifier (obligatoire)")
	if err := c.parse(false); err != nil {
		return err
	}
	if path == "" {
		return &exitError{2, "--config est obligatoire"}
	}
	if _, err := config.Load(path); err != nil {
		return &exitError{1, "configuration invalide:\n" + err.Error()}
	}
	fmt.Fprintf(c.stdout, "%s: configuration valide.\n", path)
	return nil
}

func runVersion(c *cli) error {
	if err := c.parse(false); err != nil {
		return err
	}
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
		fmt.Fprintf(c.stdout, "missive %s (%s)\n", v, bi.GoVersion)
		return nil
	}
	fmt.Fprintf(c.stdout, "missive %s\n", v)
	return nil
}

package main

import (
	"bufio"
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"missive/appliance/config"
	"missive/backup"
)

// backupFlags are the flags of the commands that reach a target.
type backupFlags struct {
	targets        stringList
	passphraseIn   bool
	targetPassIn   bool
	sshKey         string
	knownHosts     string
	passphrase     string
	targetPassword string
}

func (c *cli) backupFlags() *backupFlags {
	b := &backupFlags{}
	c.fs.StringVar(&c.common.config, "config", "", "fichier de configuration (missive.toml): cibles et phrase de passe de la section [backup]")
	c.fs.Var(&b.targets, "target", "cible: file:///…, webdav+https://compte@hôte/chemin, sftp://compte@hôte:port/chemin (défaut: celles de la configuration)")
	c.fs.BoolVar(&b.passphraseIn, "passphrase-stdin", false, "lire la phrase de passe sur l'entrée standard (défaut: passphrase_file de la configuration)")
	c.fs.BoolVar(&b.targetPassIn, "target-password-stdin", false, "lire le mot de passe de la cible WebDAV ou SFTP sur l'entrée standard (après la phrase de passe)")
	c.fs.StringVar(&b.sshKey, "ssh-key", "", "SFTP: clé privée SSH (défaut: key_file de la configuration)")
	c.fs.StringVar(&b.knownHosts, "known-hosts", "", "SFTP: fichier known_hosts qui contient la clé du serveur (défaut: ~/.ssh/known_hosts)")
	return b
}

// readSecrets reads the passphrase and the target password, one line each.
func (b *backupFlags) readSecrets(c *cli) error {
	if !b.passphraseIn && !b.targetPassIn {
		return nil
	}
	sc := bufio.NewScanner(c.stdin)
	next := func(what string) (string, error) {
		if !sc.Scan() {
			return "", &exitError{2, "aucune " + what + " lue sur l'entrée standard"}
		}
		return strings.TrimRight(sc.Text(), "\r\n"), nil
	}
	var err error
	if b.passphraseIn {
		if b.passphrase, err = next("phrase de passe"); err != nil {
			return err
		}
	}
	if b.targetPassIn {
		if b.targetPassword, err = next("mot de passe de cible"); err != nil {
			return err
		}
	}
	return nil
}

// specs are the targets of the command line, completed by the
// configuration's settings for the same address.
func (b *backupFlags) specs(cfg config.Backup) ([]backup.TargetSpec, error) {
	var out []backup.TargetSpec
	for _, u := range b.targets {
		spec := backup.TargetSpec{URL: u}
		for _, t := range cfg.Targets {
			if t.URL == u {
				var err error
				if spec, err = backup.SpecFromConfig(t); err != nil {
					return nil, err
				}
			}
		}
		if b.targetPassword != "" {
			spec.Password = b.targetPassword
		}
		if b.sshKey != "" {
			spec.KeyFile = b.sshKey
		}
		if b.knownHosts != "" {
			spec.KnownHosts = b.knownHosts
		}
		if _, err := backup.ParseTarget(u); err != nil {
			return nil, &exitError{2, err.Error()}
		}
		out = append(out, spec)
	}
	return out, nil
}

// repos opens the repositories of the command's targets.
func (b *backupFlags) repos(ctx context.Context, cfg config.Config) ([]*backup.Repo, func(), error) {
	specs, err := b.specs(cfg.Backup)
	if err != nil {
		return nil, nil, err
	}
	m := &backup.Manager{Config: cfg.Backup}
	if len(specs) == 0 {
		if specs, err = m.Targets(); err != nil {
			return nil, nil, err
		}
	}
	if len(specs) == 0 {
		return nil, nil, &exitError{2, "--target est obligatoire (aucune [[backup.target]] dans la configuration)"}
	}
	pass, err := m.Passphrase(b.passphrase)
	if err != nil {
		return nil, nil, &exitError{2, err.Error()}
	}
	var repos []*backup.Repo
	closeAll := func() {
		for _, r := range repos {
			r.Target().Close()
		}
	}
	for _, s := range specs {
		t, err := backup.OpenTarget(ctx, s)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		r, err := backup.Open(ctx, t, backup.Key{Passphrase: pass})
		if err != nil {
			t.Close()
			closeAll()
			return nil, nil, err
		}
		repos = append(repos, r)
	}
	return repos, closeAll, nil
}

// open parses the command line, reads the secrets and opens the targets'
// repositories; done closes them.
func (b *backupFlags) open(c *cli) (context.Context, config.Config, []*backup.Repo, func(), error) {
	var cfg config.Config
	if err := c.parse(false); err != nil {
		return nil, cfg, nil, nil, err
	}
	if err := b.readSecrets(c); err != nil {
		return nil, cfg, nil, nil, err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, cfg, nil, nil, err
	}
	ctx, stop := backupContext()
	repos, closeAll, err := b.repos(ctx, cfg)
	if err != nil {
		stop()
		return nil, cfg, nil, nil, err
	}
	return ctx, cfg, repos, func() { closeAll(); stop() }, nil
}

// backupContext ends with Ctrl-C or a stop of the service.
func backupContext() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

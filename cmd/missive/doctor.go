package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"missive/appliance"
	"missive/backup"
	"missive/cluster"
	"missive/installer"
)

const doctorHelp = `Vérifie une installation et dit, en clair, quoi corriger: la configuration,
le dossier de données, le journal raft (fichiers intègres, en accord avec la
base: ce que serve vérifie avant de démarrer), le service, les ports (Missive y répond-il?), le
certificat TLS et sa date d'expiration, le DNS du nom du serveur, les
connexions IMAP et SMTP configurées, les sauvegardes (faites, vérifiées, à
l'heure), l'espace disque et l'horloge.
Code de sortie 1 s'il y a au moins un point « À CORRIGER ».
Lancez-le en root (ou sous le compte missive) pour qu'il lise les données.`

// runDoctor reads the flags and the configuration, lets installer.Doctor
// check, and prints each finding as it comes.
func runDoctor(c *cli) error {
	c.dataFlags()
	c.fs.StringVar(&c.common.listen, "listen", "", "adresse où joindre Missive (défaut: la clé listen)")
	httpListen := c.fs.String("http-listen", "", "adresse du renvoi HTTP (défaut: la clé http_listen)")
	if err := c.parse(false); err != nil {
		return err
	}
	if c.common.config == "" {
		if _, err := os.Stat("/etc/missive/missive.toml"); err == nil {
			c.common.config = "/etc/missive/missive.toml"
		}
	}
	fmt.Fprintf(c.stdout, "Missive %s — vérification de l'installation\n\n", version)
	cfg, err := c.loadConfig()
	if err != nil {
		bad := installer.Check{Level: installer.Fail, Text: fmt.Sprintf("Configuration invalide: %v", err),
			Fix: "corrigez le fichier puis « missive config test --config FICHIER »"}
		printCheck(c.stdout, bad)
		return doctorResult(c.stdout, []installer.Check{bad})
	}
	if *httpListen != "" {
		cfg.HTTPListen = *httpListen
	}
	checks := installer.Doctor(context.Background(), installer.DoctorOptions{
		Config:           cfg,
		ConfigPath:       c.common.config,
		Version:          version,
		Timeout:          5 * time.Second,
		Raft:             raftCheck(cfg.Data),
		BackupPassphrase: func() error { _, err := (&backup.Manager{Config: cfg.Backup}).Passphrase(""); return err },
		BackupPolicy:     backupPolicy(cfg),
		Report:           func(ch installer.Check) { printCheck(c.stdout, ch) },
	})
	return doctorResult(c.stdout, checks)
}

// printCheck writes one finding and, below it, what to do.
func printCheck(w io.Writer, ch installer.Check) {
	label := map[installer.Level]string{installer.OK: "OK          ", installer.Warn: "ATTENTION   ", installer.Fail: "À CORRIGER  "}[ch.Level]
	fmt.Fprintf(w, "%s%s\n", label, ch.Text)
	if ch.Fix != "" && ch.Level != installer.OK {
		fmt.Fprintf(w, "            → %s\n", ch.Fix)
	}
}

// doctorResult counts the findings; any to fix makes the exit code 1.
func doctorResult(w io.Writer, checks []installer.Check) error {
	var errs, warned int
	for _, ch := range checks {
		switch ch.Level {
		case installer.Fail:
			errs++
		case installer.Warn:
			warned++
		}
	}
	fmt.Fprintf(w, "\n%d point(s) à corriger, %d à surveiller.\n", errs, warned)
	if errs > 0 {
		return &exitError{1, ""}
	}
	return nil
}

// raftCheck says what missive serve would say of the raft state in data,
// against the store's applied index.
func raftCheck(data string) func(applied uint64) installer.Check {
	return func(applied uint64) installer.Check {
		decode := func(b []byte) error { _, err := appliance.DecodeCommand(b); return err }
		err := cluster.Check(data, applied, decode)
		var se *cluster.StateError
		switch {
		case err == nil:
			return installer.Check{Level: installer.OK, Text: "Journal raft et instantanés intègres, en accord avec la base."}
		case errors.Is(err, cluster.ErrLocked):
			return installer.Check{Level: installer.OK, Text: "Journal raft en service (vérifié par le serveur à son démarrage)."}
		case errors.As(err, &se):
			return installer.Check{Level: installer.Fail, Text: se.Problem, Fix: se.WayOut()}
		default:
			return installer.Check{Level: installer.Fail, Text: fmt.Sprintf("Journal raft non vérifié: %v.", err)}
		}
	}
}

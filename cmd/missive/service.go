package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"missive/appliance/config"
	"missive/installer"
)

// startFrontend binds the web listeners, then gives up root (cfg.User).
// The TLS certificate is loaded or made afterwards, as the service's own
// account, once the node is open (prepareTLS): a cluster's certificate
// lives in the replicated store.
func startFrontend(ctx context.Context, cfg config.Config, log *slog.Logger) (*frontend, error) {
	fe, err := listenFrontend(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := dropPrivileges(cfg, log); err != nil {
		fe.close()
		return nil, err
	}
	return fe, nil
}

// storeHealthy is the systemd watchdog's test: the store answers a read.
func storeHealthy(n *node) func() bool {
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := n.store.Reader().Tenants(ctx)
		return err == nil
	}
}

const serviceHelp = `Pilote le service systemd « missive » (installé par le paquet ou par
« missive quickstart »):
  install    écrit /etc/systemd/system/missive.service pour ce binaire, --config et
             --data (l'unité du paquet, si elle est là, est seulement activée)
  uninstall  désactive le service et retire l'unité écrite par install
  start, stop, status
Il faut être root et que systemd tourne (pas dans un conteneur).`

func runService(action string) func(c *cli) error {
	return func(c *cli) error {
		c.dataFlags()
		if err := c.parse(false); err != nil {
			return err
		}
		unit := ""
		if action == "install" {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if c.common.config == "" {
				return &exitError{2, "--config est obligatoire: le service lit sa configuration dans ce fichier"}
			}
			if unit, err = serviceUnit(c.common.config, cfg); err != nil {
				return &exitError{2, err.Error()}
			}
		}
		s, err := installer.OpenService(unit, nil)
		if errors.Is(err, installer.ErrNoSystemd) {
			return &exitError{1, err.Error()}
		}
		if err != nil {
			return err
		}
		switch action {
		case "install":
			err = s.Install()
		case "uninstall":
			err = s.Uninstall()
		case "start":
			err = s.Start()
		case "stop":
			err = s.Stop()
		case "status":
			var st string
			if st, err = s.Status(); err == nil {
				fmt.Fprintf(c.stdout, "Service missive: %s\n", st)
			}
			return err
		}
		if err != nil {
			return fmt.Errorf("service %s: %w", action, err)
		}
		fmt.Fprintf(c.stdout, "Service missive: %s fait.\n", action)
		return nil
	}
}

// serviceUnit is the unit for this binary, configuration file and data dir.
func serviceUnit(configPath string, cfg config.Config) (string, error) {
	dataDir := cfg.Data
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", err
	}
	if configPath, err = filepath.Abs(configPath); err != nil {
		return "", err
	}
	if dataDir, err = filepath.Abs(dataDir); err != nil {
		return "", err
	}
	var backupDirs []string
	for _, t := range cfg.Backup.Targets {
		if dir, ok := strings.CutPrefix(t.URL, "file://"); ok {
			backupDirs = append(backupDirs, filepath.Clean(dir))
		}
	}
	return installer.Unit(exe, configPath, dataDir, backupDirs...)
}

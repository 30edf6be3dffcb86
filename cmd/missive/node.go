package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"missive/appliance"
	"missive/appliance/authlimit"
	"missive/appliance/blob"
	"missive/appliance/config"
	"missive/appliance/store"
	"missive/cluster"
	"missive/installer"
)

type commonFlags struct {
	config, data, db, listen string
}

// dataFlags declares the flags every command that opens a data dir takes.
func (c *cli) dataFlags() {
	c.fs.StringVar(&c.common.config, "config", "", "fichier de configuration (missive.toml); facultatif")
	c.fs.StringVar(&c.common.data, "data", "", "dossier des données (défaut: data, ou la clé data de --config)")
	c.fs.StringVar(&c.common.db, "db", "", "base PostgreSQL postgres://…; vide: SQLite dans le dossier des données")
}

// loadConfig reads --config when given and lets flags override it.
func (c *cli) loadConfig() (config.Config, error) {
	cfg := config.Default()
	if c.common.config != "" {
		var err error
		if cfg, err = config.Load(c.common.config); err != nil {
			return cfg, &exitError{2, err.Error()}
		}
	}
	if c.common.data != "" {
		cfg.Data = c.common.data
	}
	if c.common.db != "" {
		cfg.DB = c.common.db
	}
	if c.common.listen != "" {
		cfg.Listen = c.common.listen
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &exitError{2, "configuration invalide:\n" + err.Error()}
	}
	return cfg, nil
}

// node is everything a running Missive holds, opened top to bottom and
// closed in reverse.
type node struct {
	store   *store.Store
	blobs   *blob.Store
	cluster *cluster.Node
	svc     *appliance.Service
}

func openNode(ctx context.Context, cfg config.Config, log *slog.Logger) (*node, error) {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	n := &node{}
	ok := false
	defer func() {
		if !ok {
			n.close()
		}
	}()
	var err error
	// The raft lock comes first: a second process on this data dir must
	// stop before touching the database. The store opens under the lock,
	// before raft starts, so that a store that fails to open fails the
	// start instead of leaving raft waiting on it.
	n.cluster, err = cluster.Open(cluster.Config{DataDir: cfg.Data, Log: log, OpenApplier: func() (cluster.Applier, error) {
		// Opening migrates the store: a build other than the last one to
		// open this data dir first copies it to DATA/snapshots.
		if _, err := installer.PreUpgrade(ctx, cfg.Data, cfg.DB, version, log); err != nil {
			return nil, err
		}
		if n.store, err = store.Open(ctx, cfg.DB, cfg.Data); err != nil {
			if errors.Is(err, store.ErrTooNew) {
				return nil, &exitError{1, err.Error()}
			}
			return nil, err
		}
		if err := installer.MarkVersion(cfg.Data, version); err != nil {
			return nil, fmt.Errorf("record the version in the data dir: %w", err)
		}
		if n.blobs, err = blob.Open(cfg.Data); err != nil {
			return nil, err
		}
		return appliance.NewApplier(n.store, log), nil
	}})
	if err != nil {
		var locked *cluster.LockedError
		if errors.As(err, &locked) {
			return nil, &exitError{1, lockedMessage(cfg.Data, locked.PID)}
		}
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.cluster.WaitLeader(wctx); err != nil {
		return nil, err
	}
	n.svc = appliance.NewService(n.store, n.blobs, n.cluster, log)
	n.svc.MaxUpload = int64(cfg.MaxUploadMB) << 20
	n.svc.Logins = authlimit.New(n.svc.Now, authlimit.Limits{PerLogin: cfg.LoginMaxFailures, PerAddress: cfg.LoginMaxFailuresPerAddr})
	// Relay and mailbox passwords are sealed with a key of the data dir,
	// so that a dump of the database alone does not give them away.
	if n.svc.Secrets, err = appliance.OpenSecretBox(cfg.Data); err != nil {
		return nil, err
	}
	ok = true
	return n, nil
}

// lockedMessage is what a second Missive on a data dir in use says.
func lockedMessage(data string, pid int) string {
	who := "un autre Missive"
	if pid > 0 {
		who = fmt.Sprintf("un autre Missive (PID %d)", pid)
	}
	return fmt.Sprintf("%s utilise déjà le dossier de données %s: un seul Missive à la fois par dossier; arrêtez-le d'abord (systemctl stop missive) ou donnez un autre dossier (--data)", who, data)
}

func (n *node) close() {
	if n.cluster != nil {
		n.cluster.Close()
	}
	if n.store != nil {
		n.store.Close()
	}
}

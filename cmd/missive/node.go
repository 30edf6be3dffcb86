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
	config, data, db, listen, clusterListen string
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
	if c.common.clusterListen != "" {
		cfg.ClusterListen = c.common.clusterListen
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
	applier *appliance.Applier
	cluster *cluster.Node
	svc     *appliance.Service
	// secrets seals passwords and derives the history key (openStore).
	secrets *appliance.SecretBox
}

// clusterOptions are serve's: the node to join on a first start.
type clusterOptions struct{ join, token string }

// openNode opens a data dir for a command run without the server: a node
// of a cluster refuses, its writes go through the leader.
func openNode(ctx context.Context, cfg config.Config, log *slog.Logger) (*node, error) {
	if cluster.Clustered(cfg.Data) {
		return nil, &exitError{1, fmt.Sprintf("le dossier %s est celui d'un nœud de cluster: ses écritures passent par le leader, et cette commande par le serveur en marche; lancez d'abord « missive serve --data %s »", cfg.Data, cfg.Data)}
	}
	cfg.ClusterListen = ""
	return openServeNode(ctx, cfg, log, clusterOptions{})
}

// openServeNode opens the data dir for missive serve: with its cluster
// port when cluster_listen is set (or was on an earlier start).
func openServeNode(ctx context.Context, cfg config.Config, log *slog.Logger, co clusterOptions) (*node, error) {
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
	ccfg := cluster.Config{DataDir: cfg.Data, Log: log, Listen: cfg.ClusterListen, Join: co.join, Token: co.token}
	// On a full disk: a read-only start that serves reads and says why
	// writes are refused, rather than none.
	ccfg.ReadOnly = diskFullReason(cfg.Data)
	readOnly := ccfg.ReadOnly != ""
	ccfg.OpenApplier = func(nodeID string) (cluster.Applier, error) {
		return n.openStore(ctx, cfg, log, nodeID, readOnly)
	}
	n.cluster, err = cluster.Open(ccfg)
	if err != nil {
		var locked *cluster.LockedError
		if errors.As(err, &locked) {
			return nil, &exitError{1, lockedMessage(cfg.Data, locked.PID)}
		}
		return nil, err
	}
	if err := waitCaughtUp(ctx, n.cluster, log); err != nil {
		if n.cluster.Clustered() {
			return nil, &exitError{1, fmt.Sprintf("aucun leader du cluster joignable depuis 30 s (%v): les autres nœuds votants sont-ils en marche, et leur port de cluster ouvert depuis ce nœud? Un nœud retiré du cluster n'en trouve plus", err)}
		}
		return nil, err
	}
	n.svc = appliance.NewService(n.store, n.blobs, n.cluster, log)
	n.svc.Applier = n.applier
	n.svc.MaxUpload = int64(cfg.MaxUploadMB) << 20
	n.svc.Logins = authlimit.New(n.svc.Now, authlimit.Limits{PerLogin: cfg.LoginMaxFailures, PerAddress: cfg.LoginMaxFailuresPerAddr})
	n.svc.Secrets = n.secrets
	n.svc.ReadOnly = ccfg.ReadOnly
	if _, err := appliance.EnsureSigningAnchor(ctx, cfg.Data, n.store.Reader()); err != nil {
		return nil, err
	}
	n.cluster.Attach(n.svc, n.blobs)
	ok = true
	return n, nil
}

// openStore opens this node's store, documents, secrets and Applier, under
// the raft lock and before raft starts (cluster.Config.OpenApplier), so
// that a store that fails to open fails the start instead of leaving raft
// waiting on it.
func (n *node) openStore(ctx context.Context, cfg config.Config, log *slog.Logger, nodeID string, readOnly bool) (cluster.Applier, error) {
	var err error
	// Opening migrates the store: a build other than the last one to
	// open this data dir first copies it to DATA/snapshots. A
	// read-only start writes nothing: no copy, no migration, no claim,
	// no version.
	opts := []store.Option{store.WithLog(log)}
	if readOnly {
		opts = append(opts, store.ReadOnly())
	} else if _, err := installer.PreUpgrade(ctx, cfg.Data, cfg.DB, version, log); err != nil {
		return nil, err
	}
	if n.store, err = store.Open(ctx, cfg.DB, cfg.Data, opts...); err != nil {
		if errors.Is(err, store.ErrTooNew) {
			return nil, &exitError{1, err.Error()}
		}
		return nil, err
	}
	// Each node keeps its own database: one that another node of a
	// cluster opened already is refused (two nodes on one database
	// would each skip the entries the other applied).
	if err := n.store.Claim(ctx, nodeID); err != nil && !readOnly {
		if errors.Is(err, store.ErrOtherNode) {
			return nil, &exitError{1, err.Error()}
		}
		return nil, err
	}
	if err := installer.MarkVersion(cfg.Data, version); err != nil && !readOnly {
		return nil, fmt.Errorf("record the version in the data dir: %w", err)
	}
	if n.blobs, err = blob.Open(cfg.Data); err != nil {
		return nil, err
	}
	// Relay and mailbox passwords are sealed with a key of the data
	// dir, so that a dump of the database alone does not give them
	// away; the history is signed with a key derived from it, so that
	// a database writer cannot rewrite it unnoticed. Opened before
	// raft replays anything: replayed entries are signed too. A node
	// that joins a cluster has received the cluster's by now.
	if n.secrets, err = appliance.OpenSecretBox(cfg.Data); err != nil {
		return nil, err
	}
	key, err := n.secrets.Derive(appliance.HistoryKeyLabel)
	if err != nil {
		return nil, err
	}
	n.applier = appliance.NewApplier(n.store, log).WithHistoryKey(key)
	return n.applier, nil
}

// catchUpTimeout bounds how long a node that knows a leader may take to
// catch up with it before it serves: a node joining a cluster that holds
// years of mail installs a snapshot of all of it first.
const catchUpTimeout = 30 * time.Minute

// waitCaughtUp waits for a leader, 30 s at most, and until this node
// applied what the leader had committed. Only the leader is bounded by
// 30 s: a node that knows one and is still catching up (a snapshot being
// installed, entries being replayed) waits as long as catchUpTimeout
// rather than give up and exit in the middle of it.
func waitCaughtUp(ctx context.Context, c *cluster.Node, log *slog.Logger) error {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := c.WaitLeader(wctx)
	cancel()
	if err == nil || !c.Clustered() || !c.Ready() || ctx.Err() != nil {
		return err
	}
	log.Info("catching up with the leader before serving", "err", err)
	cctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	return c.WaitLeader(cctx)
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
	if n.applier != nil {
		// Entries still waiting for the store are in the raft log: the
		// next start applies them.
		n.applier.Close()
	}
	if n.store != nil {
		n.store.Close()
	}
}

package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"missive/appliance"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// transport opens the cluster port, or an in-memory transport for a node
// without one. On the way it makes the cluster's CA (first node) or joins
// (cfg.Join on an empty data dir).
func (n *Node) transport(hasState bool, hlog hclog.Logger) (raft.Transport, error) {
	cfg := n.cfg
	st, err := loadState(n.clusterDir())
	if err != nil {
		return nil, err
	}
	n.state = st
	n.removed.Store(st.Removed != "")
	listen := cfg.Listen
	if listen == "" {
		listen = st.Address
	}
	if listen == "" {
		if cfg.Join != "" {
			return nil, fmt.Errorf("--join demande --cluster-listen: l'adresse du port de cluster de ce nœud, que les autres joindront")
		}
		_, trans := raft.NewInmemTransport(raft.ServerAddress(n.id))
		return trans, nil
	}
	advertise := cfg.Advertise
	if advertise == "" {
		advertise = listen
	}
	if err := checkAddress(advertise); err != nil {
		return nil, err
	}
	n.addr = advertise
	// Listening before a join: the leader adds this node and dials it at
	// once; its connection waits in the backlog until the port serves,
	// instead of being refused.
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", listen); err != nil {
			return nil, fmt.Errorf("port de cluster %s: %w", listen, err)
		}
	}
	n.mux = newMux(ln, nil, cfg.Log)
	cdir := n.clusterDir()
	if err := n.ensurePKI(hasState, cdir, advertise); err != nil {
		return nil, err
	}
	if n.state.Address != advertise {
		n.state.Address = advertise
		if err := n.state.save(cdir); err != nil {
			return nil, err
		}
	}
	box, err := appliance.OpenSecretBox(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if n.pki, err = loadPKI(cdir, box); err != nil {
		return nil, err
	}
	n.mux.tls = n.pki.serverTLS()
	d := &dialer{tls: n.pki.clientTLS(), dial: cfg.Dial}
	n.pool = newPool(d)
	layer := newStreamLayer(advertise, d)
	n.mux.handle(serviceRaft, false, layer.deliver)
	n.mux.handle(serviceRPC, false, n.serveRPC)
	n.mux.handle(serviceJoin, true, n.serveJoin)
	n.mux.handle(serviceBlob, false, n.serveBlob)
	n.catchUp = newCatchUp(cfg.Log, &n.applied)
	return watchTransport(raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: layer, MaxPool: 3, Timeout: 10 * time.Second, Logger: hlog,
	}), n.catchUp), nil
}

// ensurePKI gives the node its certificates: those it has, those a
// join brings (cfg.Join on an empty data dir), or a new cluster CA of its
// own on a first start.
func (n *Node) ensurePKI(hasState bool, cdir, advertise string) error {
	cfg := n.cfg
	var err error
	switch {
	case hasPKI(cdir):
		if cfg.Join != "" && n.state.Joined {
			cfg.Log.Info("already a member of the cluster: --join ignored", "node", n.id)
		}
	case cfg.Join != "":
		if hasState {
			return fmt.Errorf("ce dossier de données a déjà un journal raft: un nœud rejoint un cluster avec un dossier vide (--data)")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		n.state, err = enroll(ctx, cfg, cdir, string(n.id), advertise)
		cancel()
		if err != nil {
			return err
		}
		cfg.Log.Info("joined the cluster", "node", n.id, "via", cfg.Join, "voter", n.state.PendingVoter)
	default:
		box, err := appliance.OpenSecretBox(cfg.DataDir)
		if err != nil {
			return err
		}
		if err := createPKI(cdir, string(n.id), box); err != nil {
			return err
		}
		cfg.Log.Info("cluster CA created: this node can admit others (missive cluster token)", "node", n.id)
	}
	return nil
}

// moveOwnAddress gives this node's new cluster address to its raft
// configuration when it is the only voter: a data dir that ran without a
// cluster port (its address was its id, on an in-memory transport), or a
// single node whose address changed. Raft's recovery rewrites the
// configuration; a node of a larger cluster cannot change it alone.
func (n *Node) moveOwnAddress(rc *raft.Config, snaps raft.SnapshotStore, trans raft.Transport) error {
	probe := *rc
	_, mem := raft.NewInmemTransport("")
	conf, err := raft.GetConfiguration(&probe, noopFSM{}, n.logs, n.logs, snaps, mem)
	if err != nil {
		return fmt.Errorf("read raft configuration: %w", err)
	}
	var self *raft.Server
	for _, s := range conf.Servers {
		if s.ID == n.id {
			self = &s
		}
	}
	if self == nil || self.Address == raft.ServerAddress(n.addr) {
		return nil
	}
	if len(conf.Servers) != 1 {
		return fmt.Errorf("l'adresse de cluster de ce nœud a changé (%s): dans un cluster de plusieurs nœuds, gardez l'ancienne adresse, ou retirez ce nœud (missive cluster remove) et faites-le rejoindre avec un dossier vide", n.addr)
	}
	old := conf.Servers[0].Address
	next := raft.Configuration{Servers: []raft.Server{{ID: n.id, Address: raft.ServerAddress(n.addr), Suffrage: raft.Voter}}}
	if err := raft.RecoverCluster(rc, &recoveryFSM{n.cfg.Applier}, n.logs, n.logs, snaps, trans, next); err != nil {
		return fmt.Errorf("move the raft configuration to %s: %w", n.addr, err)
	}
	n.cfg.Log.Info("cluster of one now on its cluster port", "node", n.id, "from", old, "to", n.addr)
	return nil
}

// recoveryFSM is the FSM raft's recovery replays the log into: the store
// is already at or past the latest snapshot (restoreIfBehind), so the
// snapshot is not loaded again, and entries it has applied are skipped.
type recoveryFSM struct{ a Applier }

func (f *recoveryFSM) Apply(l *raft.Log) any { return f.a.Apply(l.Index, l.Data) }

func (f *recoveryFSM) Snapshot() (raft.FSMSnapshot, error) { return (&fsm{a: f.a}).Snapshot() }

func (f *recoveryFSM) Restore(rc io.ReadCloser) error { return rc.Close() }

// noopFSM reads a configuration without touching the store.
type noopFSM struct{}

func (noopFSM) Apply(*raft.Log) any                 { return nil }
func (noopFSM) Snapshot() (raft.FSMSnapshot, error) { return nil, fmt.Errorf("no snapshot") }
func (noopFSM) Restore(rc io.ReadCloser) error      { return rc.Close() }

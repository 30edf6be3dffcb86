package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Recovery after the loss of a quorum for good (a site destroyed), the
// way of raft's peers.json: on each surviving node, stopped, `missive
// cluster recover` writes DATA/raft/peers.json with the configuration the
// survivors agree on; at its next start the node rewrites its raft
// configuration with it (raft.RecoverCluster), removes the file, and the
// survivors elect a leader among themselves. See DESIGN.md, "Quorum lost".

// peersFile is where Recover leaves the configuration for the next start.
func peersFile(dataDir string) string { return filepath.Join(dataDir, "raft", "peers.json") }

// peerJSON is one server of peers.json, in raft's format (ReadConfigJSON).
type peerJSON struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	NonVoter bool   `json:"non_voter"`
}

// RecoverPlan is what Recover wrote: the configuration before and after.
type RecoverPlan struct {
	Self   string
	Before []raft.Server
	After  []raft.Server
	File   string
}

// Recover prepares the recovery of this stopped node's data dir: the new
// configuration is this node and the nodes of keep (ids or addresses of
// the current configuration), every one a voter. It refuses while a
// server runs on the data dir, on a node that was removed, and on an
// unknown node in keep.
func Recover(dataDir string, keep []string) (*RecoverPlan, error) {
	dir := filepath.Join(dataDir, "raft")
	b, err := os.ReadFile(filepath.Join(dataDir, "node-id"))
	if err != nil {
		return nil, fmt.Errorf("%s n'est pas le dossier de données d'un nœud (node-id illisible: %w)", dataDir, err)
	}
	self := raft.ServerID(strings.TrimSpace(string(b)))
	if _, err := os.Stat(filepath.Join(dir, "raft.db")); err != nil {
		return nil, fmt.Errorf("%s n'a pas de journal raft: rien à récupérer", dataDir)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := loadState(filepath.Join(dataDir, "cluster"))
	if err != nil {
		return nil, err
	}
	if st.Removed != "" {
		return nil, errors.New("ce nœud a été retiré du cluster: il ne peut pas en refaire un; videz son dossier de données et faites-le rejoindre avec un nouveau jeton")
	}
	conf, err := readConfiguration(dir, self)
	if err != nil {
		return nil, err
	}
	plan := &RecoverPlan{Self: string(self), Before: conf.Servers, File: peersFile(dataDir)}
	want := append([]string{string(self)}, keep...)
	for _, k := range want {
		i := slices.IndexFunc(conf.Servers, func(s raft.Server) bool { return string(s.ID) == k || string(s.Address) == k })
		if i < 0 {
			return nil, fmt.Errorf("nœud %q absent de la configuration de ce nœud (%s): voir la liste ci-dessus", k, describe(conf.Servers))
		}
		s := conf.Servers[i]
		if slices.ContainsFunc(plan.After, func(o raft.Server) bool { return o.ID == s.ID }) {
			continue
		}
		s.Suffrage = raft.Voter
		plan.After = append(plan.After, s)
	}
	peers := make([]peerJSON, len(plan.After))
	for i, s := range plan.After {
		peers[i] = peerJSON{ID: string(s.ID), Address: string(s.Address)}
	}
	out, err := json.MarshalIndent(peers, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(plan.File, append(out, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", plan.File, err)
	}
	return plan, nil
}

// readConfiguration reads the latest raft configuration of a stopped
// node's log, without touching its store.
func readConfiguration(dir string, self raft.ServerID) (raft.Configuration, error) {
	logs, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		return raft.Configuration{}, fmt.Errorf("open raft log: %w", err)
	}
	defer logs.Close()
	snaps, err := openSnapshots(dir, hclog.NewNullLogger())
	if err != nil {
		return raft.Configuration{}, err
	}
	rc := raft.DefaultConfig()
	rc.LocalID = self
	rc.Logger = hclog.NewNullLogger()
	_, mem := raft.NewInmemTransport("")
	conf, err := raft.GetConfiguration(rc, noopFSM{}, logs, logs, snaps, mem)
	if err != nil {
		return raft.Configuration{}, fmt.Errorf("read raft configuration: %w", err)
	}
	return conf, nil
}

func describe(servers []raft.Server) string {
	var parts []string
	for _, s := range servers {
		parts = append(parts, string(s.ID)+" "+string(s.Address))
	}
	return strings.Join(parts, ", ")
}

// recoverFromPeers applies a peers.json left by Recover, at start, before
// raft runs: the log is replayed into the recovery FSM (entries the store
// has are skipped), the configuration rewritten, and the file removed so
// that a later start does not recover again.
func (n *Node) recoverFromPeers(rc *raft.Config, snaps raft.SnapshotStore, trans raft.Transport) error {
	p := peersFile(n.cfg.DataDir)
	conf, err := raft.ReadConfigJSON(p)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if !slices.ContainsFunc(conf.Servers, func(s raft.Server) bool { return s.ID == n.id }) {
		return fmt.Errorf("%s ne contient pas ce nœud (%s): relancez missive cluster recover sur ce dossier", p, n.id)
	}
	if err := raft.RecoverCluster(rc, &recoveryFSM{n.cfg.Applier}, n.logs, n.logs, snaps, trans, conf); err != nil {
		return fmt.Errorf("recover the raft configuration from %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("remove %s after the recovery: %w", p, err)
	}
	n.cfg.Log.Warn("cluster configuration recovered from the surviving nodes (missive cluster recover)", "node", n.id, "servers", describe(conf.Servers))
	return nil
}

// hasPeersFile says whether a recovery waits for this start.
func hasPeersFile(dataDir string) bool {
	_, err := os.Stat(peersFile(dataDir))
	return err == nil
}

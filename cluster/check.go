package cluster

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"
)

// Before raft starts, Open checks that the raft state of the data dir can
// be trusted: its files are whole (checkfiles.go), and it agrees with the
// store. A node that cannot trust it refuses to start with a StateError,
// which names the data dir, the file at fault and the way out, rather
// than crash later or, worse, start a new log over data it already has.

// ErrBadState matches every StateError with errors.Is.
var ErrBadState = errors.New("état raft inutilisable")

// StateError is Open's refusal of a raft state it cannot trust.
type StateError struct {
	DataDir string
	// File is the damaged file, "" when the fault is no file's (a raft
	// state missing or older than the store).
	File string
	// Problem says what is wrong, in French.
	Problem string
	// Clustered: the data dir is a node of a cluster, which can be
	// rebuilt from the leader.
	Clustered bool
}

func (e *StateError) Is(target error) bool { return target == ErrBadState }

func (e *StateError) Error() string {
	var b strings.Builder
	b.WriteString(e.Problem)
	b.WriteString("\nMissive refuse de démarrer sur le dossier de données " + e.DataDir + ".\n")
	b.WriteString(wayOut(e.DataDir, e.Clustered))
	return b.String()
}

// wayOut is what to do, step by step, for a node whose raft state cannot
// be used: a node of a cluster receives it again from the leader; any
// node can start again from its last backup.
func wayOut(data string, clustered bool) string {
	var b strings.Builder
	if clustered {
		fmt.Fprintf(&b, "Ce nœud fait partie d'un cluster: reconstruisez son état raft depuis le leader, en gardant ce dossier:\n")
		fmt.Fprintf(&b, "  1. missive cluster rejoin --data %s\n", data)
		fmt.Fprintf(&b, "     (met l'état raft de côté dans %s et fait attendre le leader au prochain démarrage)\n", filepath.Join(data, "raft-ecarte-DATE"))
		fmt.Fprintf(&b, "  2. systemctl start missive (ou missive serve --data %s): le leader lui envoie son instantané et la suite du journal.\n", data)
		fmt.Fprintf(&b, "Si aucun autre nœud du cluster n'est en marche, repartez de la dernière sauvegarde:\n")
	} else {
		fmt.Fprintf(&b, "Repartez de la dernière sauvegarde (les écritures faites depuis sont perdues):\n")
	}
	fmt.Fprintf(&b, "  missive backup restore --config /etc/missive/missive.toml --to %s.restaure\n", data)
	fmt.Fprintf(&b, "  mv %s %s.endommage && mv %s.restaure %s   (gardez l'ancien dossier tant que tout n'est pas vérifié)\n", data, data, data, data)
	fmt.Fprintf(&b, "  chown -R missive: %s && systemctl start missive\n", data)
	b.WriteString("Voir « Quand Missive refuse de démarrer » dans le README; missive doctor --data " + data + " fait le même diagnostic.")
	return b.String()
}

// stateError makes a StateError for this node's data dir.
func (n *Node) stateError(file, problem string) *StateError {
	return newStateError(n.cfg.DataDir, file, problem)
}

func newStateError(dataDir, file, problem string) *StateError {
	return &StateError{DataDir: absDir(dataDir), File: file, Problem: problem, Clustered: hasPKI(filepath.Join(dataDir, "cluster"))}
}

// absDir is dir as a message names it: absolute, to be copied as is.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// indexed is an Applier whose state records the last entry it applied
// (appliance.Applier: the store's applied_index).
type indexed interface {
	AppliedIndex() (uint64, error)
}

// checkAgreement refuses a raft state that is missing or older than the
// store: the store's applied index above the last entry raft holds in its
// log and snapshots. Raft would then number new entries from below that
// index, and the store would skip each of them as already applied
// (store.ErrApplied): writes acknowledged, never stored. A store that
// applied nothing (a new data dir, a node joining) has nothing to lose; a
// restored backup has its raft state (Seed); a node told to rejoin
// (PrepareRejoin) waits for the leader's log or snapshot, of the same
// cluster its store came from.
func (n *Node) checkAgreement(has bool, snaps raft.SnapshotStore) error {
	a, ok := n.cfg.Applier.(indexed)
	if !ok {
		return nil
	}
	applied, err := a.AppliedIndex()
	if err != nil {
		return fmt.Errorf("read the store's applied index: %w", err)
	}
	last, err := n.logs.LastIndex()
	if err != nil {
		return fmt.Errorf("read the raft log's last index: %w", err)
	}
	last = max(last, latestSnapshot(snaps))
	if n.state.Rejoin {
		if has && last >= applied {
			// The leader has sent this node what its store holds: from
			// now on it is checked like any other.
			n.state.Rejoin = false
			return n.state.save(n.clusterDir())
		}
		n.cfg.Log.Info("raft state set aside: waiting for the leader's log or snapshot", "node", n.id, "store_index", applied, "raft_index", last)
		return nil
	}
	raftDB := filepath.Join(absDir(n.cfg.DataDir), "raft", "raft.db")
	switch {
	case applied == 0:
		return nil
	case !has:
		return n.stateError("", fmt.Sprintf("La base de ce nœud a appliqué le journal jusqu'à l'entrée %d, mais son état raft a disparu (%s absent ou vide, aucun instantané): démarrer créerait un nouveau journal, dont chaque entrée serait prise pour une entrée déjà appliquée.", applied, raftDB))
	case last < applied:
		return n.stateError("", fmt.Sprintf("L'état raft de ce nœud (%s) s'arrête à l'entrée %d, avant la dernière entrée appliquée à sa base (%d): il vient d'une copie plus ancienne que la base, et les entrées suivantes seraient prises pour des entrées déjà appliquées.", raftDB, last, applied))
	}
	return nil
}

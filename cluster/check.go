package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
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

// WayOut is what to do, step by step, with the data dir of e.
func (e *StateError) WayOut() string { return wayOut(e.DataDir, e.Clustered) }

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
// (appliance.Applier: the store's applied_index), and that can tell an
// entry it would refuse to decode.
type indexed interface {
	AppliedIndex() (uint64, error)
	CheckEntry(data []byte) error
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
	if err := agreement(n.cfg.DataDir, has, last, applied).orNil(); err != nil {
		return err
	}
	return commandsError(n.cfg.DataDir, n.logs, latestSnapshot(snaps), a.CheckEntry)
}

// commandsError refuses a log whose entries after the latest snapshot
// (those raft hands to the Applier again at start) do not decode as
// commands: the Applier stops the node on such an entry, since the log
// is the truth and it cannot go on without it. checkFiles has checked
// that each decodes as a raft entry; a byte changed inside a command
// still does.
func commandsError(dataDir string, logs raft.LogStore, snapshot uint64, check func([]byte) error) error {
	if p := checkCommands(logs, snapshot, check); p != "" {
		db := filepath.Join(absDir(dataDir), "raft", "raft.db")
		return newStateError(dataDir, db, fmt.Sprintf("Le journal raft %s est endommagé: %s.", db, p))
	}
	return nil
}

// agreement is checkAgreement's verdict on a raft state that holds
// entries up to last (has: any state at all) and a store that applied up
// to applied.
func agreement(dataDir string, has bool, last, applied uint64) *StateError {
	raftDB := filepath.Join(absDir(dataDir), "raft", "raft.db")
	switch {
	case applied == 0:
		return nil
	case !has:
		return newStateError(dataDir, "", fmt.Sprintf("La base de ce nœud a appliqué le journal jusqu'à l'entrée %d, mais son état raft a disparu (%s absent ou vide, aucun instantané): démarrer créerait un nouveau journal, dont chaque entrée serait prise pour une entrée déjà appliquée.", applied, raftDB))
	case last < applied:
		return newStateError(dataDir, "", fmt.Sprintf("L'état raft de ce nœud (%s) s'arrête à l'entrée %d, avant la dernière entrée appliquée à sa base (%d): il vient d'une copie plus ancienne que la base, et les entrées suivantes seraient prises pour des entrées déjà appliquées.", raftDB, last, applied))
	}
	return nil
}

// checkFiles refuses a raft log or a latest snapshot that is damaged,
// before raft or bbolt read them (checkfiles.go).
func checkFiles(dataDir string, log *slog.Logger) error {
	dir := filepath.Join(dataDir, "raft")
	db := filepath.Join(absDir(dir), "raft.db")
	if p := checkRaftLog(db); p != "" {
		return newStateError(dataDir, db, fmt.Sprintf("Le journal raft %s est endommagé: %s.", db, p))
	}
	// Raft's own snapshot store logs a CRC mismatch as an error line: the
	// refusal says it better.
	snaps, err := openSnapshots(dir, hclog.NewNullLogger())
	if err != nil {
		return err
	}
	warn := func(file, problem string) {
		log.Warn("an older raft snapshot is damaged; the latest one is whole and is the one used", "file", file, "problem", problem)
	}
	if file, p := checkSnapshots(filepath.Join(absDir(dir), "snapshots"), snaps, warn); p != "" {
		return newStateError(dataDir, file, fmt.Sprintf("Le dernier instantané raft est endommagé: %s: %s.", file, p))
	}
	return nil
}

// Check is missive doctor's diagnosis of a stopped node's raft state:
// its files whole, its entries commands that checkEntry (when not nil)
// decodes, and as recent as a store that applied up to applied.
// It returns a *StateError for a state the node would refuse, a
// *LockedError while a server runs on the data dir (which checked it when
// it started), nil when the node would start.
func Check(dataDir string, applied uint64, checkEntry func([]byte) error) error {
	dir := filepath.Join(dataDir, "raft")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return agreement(dataDir, false, 0, applied).orNil()
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFiles(dataDir, slog.New(slog.DiscardHandler)); err != nil {
		return err
	}
	snaps, err := openSnapshots(dir, hclog.NewNullLogger())
	if err != nil {
		return err
	}
	last := latestSnapshot(snaps)
	has := last > 0
	// An empty raft.db is no state (bbolt would write its first pages to
	// it: it is not opened).
	if fi, err := os.Stat(filepath.Join(dir, "raft.db")); err == nil && fi.Size() > 0 {
		logs, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db"), BoltOptions: &bbolt.Options{ReadOnly: true, Timeout: time.Second}})
		if err != nil {
			return fmt.Errorf("open raft log: %w", err)
		}
		defer logs.Close()
		if has, err = raft.HasExistingState(logs, logs, snaps); err != nil {
			return fmt.Errorf("read raft state: %w", err)
		}
		logLast, err := logs.LastIndex()
		if err != nil {
			return fmt.Errorf("read the raft log's last index: %w", err)
		}
		last = max(last, logLast)
		if checkEntry != nil {
			if err := commandsError(dataDir, logs, latestSnapshot(snaps), checkEntry); err != nil {
				return err
			}
		}
	}
	st, err := loadState(filepath.Join(dataDir, "cluster"))
	if err != nil {
		return err
	}
	if st.Rejoin {
		return nil
	}
	return agreement(dataDir, has, last, applied).orNil()
}

// orNil keeps a nil *StateError from becoming a non-nil error.
func (e *StateError) orNil() error {
	if e == nil {
		return nil
	}
	return e
}

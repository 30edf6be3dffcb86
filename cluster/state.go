package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateFile, in DATA/cluster, is what a node remembers of its place in a
// cluster besides raft's own state.
const stateFile = "state.json"

type state struct {
	// Address is the cluster port this node listens on and advertises;
	// a restart without --cluster-listen takes it from here.
	Address string `json:"address"`
	// Joined: the node joined an existing cluster (it never bootstraps,
	// nor initialises the store on first start).
	Joined bool `json:"joined,omitempty"`
	// PendingVoter: the node joined as a non-voter to catch up first, and
	// asks the leader to make it a voter once it has (its token said so).
	PendingVoter bool `json:"pending_voter,omitempty"`
	// Removed is when the leader said this node was removed; from then on
	// it refuses writes and does not start raft.
	Removed string `json:"removed,omitempty"`
	// Rejoin: the raft state was set aside (missive cluster rejoin); the
	// node waits for the leader's log or snapshot, which its store may
	// be ahead of until they arrive.
	Rejoin bool `json:"rejoin,omitempty"`
}

func loadState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &state{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cluster state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read cluster state %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}

func (s *state) save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, stateFile), append(b, '\n'))
}

// Clustered says whether the data dir belongs to a node of a cluster (it
// has a cluster certificate): such a node writes through the leader only,
// so the CLI cannot open it offline.
func Clustered(dataDir string) bool {
	return hasPKI(filepath.Join(dataDir, "cluster"))
}

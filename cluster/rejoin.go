package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// PrepareRejoin sets the raft state of a stopped cluster node aside, so
// that its next start receives it again from the leader instead of
// trusting a damaged or lost one (missive cluster rejoin). The node keeps
// its id, certificate, store and documents: the leader still counts it as
// a member and sends it its log, or its snapshot when the log no longer
// goes back far enough; entries its store already applied are skipped,
// since they are the same entries of the same log. It returns the
// directory the raft files were moved to.
func PrepareRejoin(dataDir string) (string, error) {
	dir := filepath.Join(dataDir, "raft")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create raft dir: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	cdir := filepath.Join(dataDir, "cluster")
	if !hasPKI(cdir) {
		return "", fmt.Errorf("le dossier %s n'est pas celui d'un nœud de cluster (pas de certificat dans %s): aucun leader ne peut lui renvoyer son état; repartez de la dernière sauvegarde (missive backup restore)", dataDir, cdir)
	}
	st, err := loadState(cdir)
	if err != nil {
		return "", err
	}
	if st.Removed != "" {
		return "", fmt.Errorf("ce nœud a été retiré du cluster (%s): il ne peut pas revenir avec ce dossier; videz-le et faites-le rejoindre avec un nouveau jeton (missive cluster token)", st.Removed)
	}
	aside := filepath.Join(dataDir, "raft-ecarte-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Mkdir(aside, 0o700); err != nil {
		return "", fmt.Errorf("mettre l'état raft de côté: %w", err)
	}
	for _, name := range []string{"raft.db", "snapshots"} {
		err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mettre l'état raft de côté: %w", err)
		}
	}
	// Joined: the node never bootstraps a cluster of its own, nor
	// initialises its store; Rejoin: its store may be ahead of its raft
	// state until the leader's arrives.
	st.Joined, st.Rejoin = true, true
	if err := st.save(cdir); err != nil {
		return "", err
	}
	return aside, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"missive/appliance/domain"
)

// Cluster membership rows (written by the Applier) and the claim of a
// database by one node (written by Open's caller, outside the log).

func (r SiteReader) JoinToken(ctx context.Context, hash string) (*domain.JoinToken, error) {
	var t domain.JoinToken
	var voter int
	err := r.queryRow(ctx, `SELECT hash, voter, created_at, expires_at, used_by, used_at FROM cluster_tokens WHERE hash = ?`, hash).
		Scan(&t.Hash, &voter, &t.CreatedAt, &t.ExpiresAt, &t.UsedBy, &t.UsedAt)
	if err := notFound(err, "jeton d'adhésion"); err != nil {
		return nil, err
	}
	t.Voter = voter != 0
	return &t, nil
}

func (r SiteReader) ClusterMember(ctx context.Context, nodeID string) (*domain.ClusterMember, error) {
	var m domain.ClusterMember
	var voter, removed int
	err := r.queryRow(ctx, `SELECT node_id, address, voter, removed, joined_at, updated_at FROM cluster_members WHERE node_id = ?`, nodeID).
		Scan(&m.NodeID, &m.Address, &voter, &removed, &m.JoinedAt, &m.UpdatedAt)
	if err := notFound(err, "nœud "+nodeID); err != nil {
		return nil, err
	}
	m.Voter, m.Removed = voter != 0, removed != 0
	return &m, nil
}

func (t SiteTx) InsertJoinToken(tok *domain.JoinToken) error {
	return t.exec(`INSERT INTO cluster_tokens (hash, voter, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tok.Hash, b2i(tok.Voter), tok.CreatedAt, tok.ExpiresAt)
}

// UseJoinToken marks a token used, once: a token used before is left as it
// is and reported with ErrNotFound's sibling, ErrTokenUsed.
func (t SiteTx) UseJoinToken(hash, nodeID, at string) error {
	res, err := t.tx.ExecContext(t.ctx, t.d.rebind(`UPDATE cluster_tokens SET used_by = ?, used_at = ? WHERE hash = ? AND used_by = ''`), nodeID, at, hash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrTokenUsed
	}
	return nil
}

// ErrTokenUsed means a join token was used already.
var ErrTokenUsed = errors.New("jeton d'adhésion déjà utilisé")

// PutClusterMember inserts or replaces a member row.
func (t SiteTx) PutClusterMember(m *domain.ClusterMember) error {
	if err := t.exec(`DELETE FROM cluster_members WHERE node_id = ?`, m.NodeID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO cluster_members (node_id, address, voter, removed, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.NodeID, m.Address, b2i(m.Voter), b2i(m.Removed), m.JoinedAt, m.UpdatedAt)
}

// ErrOtherNode means the database belongs to another node of a cluster.
var ErrOtherNode = errors.New("base de données déjà utilisée par un autre nœud")

// OtherNodeError names the node a database belongs to.
type OtherNodeError struct{ Owner, Self string }

func (e *OtherNodeError) Error() string {
	return fmt.Sprintf("%v (%s): chaque nœud garde sa propre base; ce nœud (%s) ne peut pas l'ouvrir. Donnez-lui sa propre base PostgreSQL (--db) ou son propre dossier de données",
		ErrOtherNode, e.Owner, e.Self)
}

func (e *OtherNodeError) Is(target error) bool { return target == ErrOtherNode }

// Claim records that the database belongs to node, or refuses with an
// *OtherNodeError if another node claimed it first. Two nodes started at
// once on one database race on the row's primary key: one of them loses.
func (s *Store) Claim(ctx context.Context, node string) error {
	var owner string
	err := s.db.QueryRowContext(ctx, `SELECT node_id FROM node_owner WHERE id = 1`).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		at := time.Now().UTC().Format(domain.TimeLayout)
		if _, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO node_owner (id, node_id, claimed_at) VALUES (1, ?, ?)`), node, at); err != nil {
			// Lost the race: read the winner.
			if err2 := s.db.QueryRowContext(ctx, `SELECT node_id FROM node_owner WHERE id = 1`).Scan(&owner); err2 != nil {
				return fmt.Errorf("claim database for node %s: %w", node, err)
			}
		} else {
			return nil
		}
	case err != nil:
		return fmt.Errorf("read database owner: %w", err)
	}
	if owner != node {
		return &OtherNodeError{Owner: owner, Self: node}
	}
	return nil
}

// Package sites is the appliance's side of cluster membership: the join
// tokens and the members (the sites) of the cluster, kept in the store
// through commands so that every node, and whichever leads, knows them,
// and the documents the store references, for the cluster's blob passes.
// The admission of forwarded commands (Admit) stays with the letters'
// numbering in the appliance root.
package sites

import (
	"context"
	"errors"
	"fmt"
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
	"time"
)

// Sites is the cluster package's door into the appliance's membership
// record.
type Sites struct{ k *kernel.Kernel }

// New makes the membership feature of one appliance.
func New(k *kernel.Kernel) *Sites { return &Sites{k: k} }

// CreateJoinToken records the hash of a join token that admits one node,
// a voter or not, until expires.
func (s *Sites) CreateJoinToken(ctx context.Context, hash string, voter bool, expires time.Time) error {
	_, err := s.k.Propose(ctx, KindClusterToken, ClusterTenant, kernel.SystemActor,
		ClusterToken{Hash: hash, Voter: voter, ExpiresAt: expires.UTC().Format(domain.TimeLayout)})
	return err
}

// UseJoinToken uses a join token for a node, once cluster-wide, and
// returns the member it made. A token unknown, used or expired is
// ErrForbidden.
func (s *Sites) UseJoinToken(ctx context.Context, hash, nodeID, address string) (*store.ClusterMember, error) {
	// Checked here first, so that anyone who can reach the join service
	// cannot fill the log with refused commands; Apply checks again.
	tok, err := s.k.Reader().JoinToken(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: jeton d'adhésion inconnu", kernel.ErrForbidden)
	case err != nil:
		return nil, err
	case tok.UsedBy != "":
		return nil, fmt.Errorf("%w: jeton d'adhésion déjà utilisé (par le nœud %s)", kernel.ErrForbidden, tok.UsedBy)
	case s.k.Now().UTC().Format(domain.TimeLayout) >= tok.ExpiresAt:
		return nil, fmt.Errorf("%w: jeton d'adhésion expiré depuis le %s: créez-en un autre (missive cluster token)", kernel.ErrForbidden, tok.ExpiresAt)
	}
	v, err := s.k.Propose(ctx, KindClusterJoin, ClusterTenant, kernel.SystemActor, ClusterJoin{Hash: hash, NodeID: nodeID, Address: address})
	if err != nil {
		return nil, err
	}
	return v.(*store.ClusterMember), nil
}

// SetClusterMember records a member's suffrage, or its removal.
func (s *Sites) SetClusterMember(ctx context.Context, m ClusterMember) error {
	_, err := s.k.Propose(ctx, KindClusterMember, ClusterTenant, kernel.SystemActor, m)
	return err
}

// ClusterMember reads a member from the local store.
func (s *Sites) ClusterMember(ctx context.Context, nodeID string) (*store.ClusterMember, error) {
	return s.k.Reader().ClusterMember(ctx, nodeID)
}

// BlobRefs calls fn for every document the store references (the
// cluster's background pass and check).
func (s *Sites) BlobRefs(ctx context.Context, fn func(sum string) error) error {
	return s.k.Store().BlobRefs(ctx, fn)
}

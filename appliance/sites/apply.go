package sites

import (
	"errors"
	"fmt"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Register registers the apply function of each kind below with r.
func Register(r *kernel.Registry) {
	kernel.Handle(r, KindClusterToken, applyClusterToken)
	kernel.Handle(r, KindClusterJoin, applyClusterJoin)
	kernel.Handle(r, KindClusterMember, applyClusterMember)
}

func applyClusterToken(a *kernel.Ctx, p *ClusterToken) (any, error) {
	if len(p.Hash) != 64 {
		return nil, fmt.Errorf("%w: empreinte de jeton invalide", kernel.ErrInvalid)
	}
	if _, err := time.Parse(domain.TimeLayout, p.ExpiresAt); err != nil {
		return nil, fmt.Errorf("%w: expiration du jeton invalide", kernel.ErrInvalid)
	}
	tok := &store.JoinToken{Hash: p.Hash, Voter: p.Voter, CreatedAt: a.At, ExpiresAt: p.ExpiresAt}
	if err := kernel.Conflict(a.Tx.InsertJoinToken(tok), "jeton déjà enregistré"); err != nil {
		return nil, err
	}
	a.Summary = "Jeton d'adhésion au cluster créé (" + suffrage(p.Voter) + ", valable jusqu'au " + p.ExpiresAt + ")"
	return nil, nil
}

// applyClusterJoin admits a node with a token: the token must exist, be
// unused and unexpired at the command's time (stamped by the leader), so
// that whichever node leads, a token admits one node only.
func applyClusterJoin(a *kernel.Ctx, p *ClusterJoin) (any, error) {
	tok, err := a.Tx.JoinToken(a.Ctx, p.Hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: jeton d'adhésion inconnu", kernel.ErrForbidden)
	} else if err != nil {
		return nil, err
	}
	if tok.UsedBy != "" {
		return nil, fmt.Errorf("%w: jeton d'adhésion déjà utilisé (par le nœud %s)", kernel.ErrForbidden, tok.UsedBy)
	}
	if a.At >= tok.ExpiresAt {
		return nil, fmt.Errorf("%w: jeton d'adhésion expiré depuis le %s: créez-en un autre (missive cluster token)", kernel.ErrForbidden, tok.ExpiresAt)
	}
	if m, err := a.Tx.ClusterMember(a.Ctx, p.NodeID); err == nil && m.Removed {
		return nil, fmt.Errorf("%w: le nœud %s a été retiré du cluster: videz son dossier de données pour le faire revenir comme un nouveau nœud", kernel.ErrForbidden, p.NodeID)
	}
	if err := a.Tx.UseJoinToken(p.Hash, p.NodeID, a.At); err != nil {
		return nil, err
	}
	m := &store.ClusterMember{NodeID: p.NodeID, Address: p.Address, Voter: tok.Voter, JoinedAt: a.At, UpdatedAt: a.At}
	if err := a.Tx.PutClusterMember(m); err != nil {
		return nil, err
	}
	a.Payload = kernel.Redact(ClusterJoin{Hash: "***", NodeID: p.NodeID, Address: p.Address})
	a.Summary = "Nœud " + p.NodeID + " (" + p.Address + ") admis dans le cluster, " + suffrage(tok.Voter)
	return m, nil
}

func applyClusterMember(a *kernel.Ctx, p *ClusterMember) (any, error) {
	if p.NodeID == "" {
		return nil, fmt.Errorf("%w: nœud manquant", kernel.ErrInvalid)
	}
	m, err := a.Tx.ClusterMember(a.Ctx, p.NodeID)
	if errors.Is(err, store.ErrNotFound) {
		// The first node bootstrapped the cluster without a token.
		m = &store.ClusterMember{NodeID: p.NodeID, JoinedAt: a.At}
	} else if err != nil {
		return nil, err
	}
	if m.Removed {
		return nil, fmt.Errorf("%w: le nœud %s a déjà été retiré du cluster", kernel.ErrConflict, p.NodeID)
	}
	if p.Address != "" {
		m.Address = p.Address
	}
	m.Voter, m.Removed, m.UpdatedAt = p.Voter, p.Removed, a.At
	if err := a.Tx.PutClusterMember(m); err != nil {
		return nil, err
	}
	switch {
	case p.Removed:
		a.Summary = "Nœud " + p.NodeID + " retiré du cluster"
	default:
		a.Summary = "Nœud " + p.NodeID + ": " + suffrage(p.Voter)
	}
	return m, nil
}

func suffrage(voter bool) string {
	if voter {
		return "votant"
	}
	return "non votant"
}

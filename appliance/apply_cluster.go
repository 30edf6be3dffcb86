package appliance

import (
	"errors"
	"fmt"
	"time"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// registerCluster registers the apply function of each kind below with r.
func registerCluster(r *Registry) {
	Handle(r, KindClusterToken, applyClusterToken)
	Handle(r, KindClusterJoin, applyClusterJoin)
	Handle(r, KindClusterMember, applyClusterMember)
}

func applyClusterToken(a *applyCtx, p *ClusterToken) (any, error) {
	if len(p.Hash) != 64 {
		return nil, fmt.Errorf("%w: empreinte de jeton invalide", ErrInvalid)
	}
	if _, err := time.Parse(domain.TimeLayout, p.ExpiresAt); err != nil {
		return nil, fmt.Errorf("%w: expiration du jeton invalide", ErrInvalid)
	}
	tok := &store.JoinToken{Hash: p.Hash, Voter: p.Voter, CreatedAt: a.at, ExpiresAt: p.ExpiresAt}
	if err := conflict(a.tx.InsertJoinToken(tok), "jeton déjà enregistré"); err != nil {
		return nil, err
	}
	a.summary = "Jeton d'adhésion au cluster créé (" + suffrage(p.Voter) + ", valable jusqu'au " + p.ExpiresAt + ")"
	return nil, nil
}

// applyClusterJoin admits a node with a token: the token must exist, be
// unused and unexpired at the command's time (stamped by the leader), so
// that whichever node leads, a token admits one node only.
func applyClusterJoin(a *applyCtx, p *ClusterJoin) (any, error) {
	tok, err := a.tx.JoinToken(a.ctx, p.Hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: jeton d'adhésion inconnu", ErrForbidden)
	} else if err != nil {
		return nil, err
	}
	if tok.UsedBy != "" {
		return nil, fmt.Errorf("%w: jeton d'adhésion déjà utilisé (par le nœud %s)", ErrForbidden, tok.UsedBy)
	}
	if a.at >= tok.ExpiresAt {
		return nil, fmt.Errorf("%w: jeton d'adhésion expiré depuis le %s: créez-en un autre (missive cluster token)", ErrForbidden, tok.ExpiresAt)
	}
	if m, err := a.tx.ClusterMember(a.ctx, p.NodeID); err == nil && m.Removed {
		return nil, fmt.Errorf("%w: le nœud %s a été retiré du cluster: videz son dossier de données pour le faire revenir comme un nouveau nœud", ErrForbidden, p.NodeID)
	}
	if err := a.tx.UseJoinToken(p.Hash, p.NodeID, a.at); err != nil {
		return nil, err
	}
	m := &store.ClusterMember{NodeID: p.NodeID, Address: p.Address, Voter: tok.Voter, JoinedAt: a.at, UpdatedAt: a.at}
	if err := a.tx.PutClusterMember(m); err != nil {
		return nil, err
	}
	a.payload = redact(ClusterJoin{Hash: "***", NodeID: p.NodeID, Address: p.Address})
	a.summary = "Nœud " + p.NodeID + " (" + p.Address + ") admis dans le cluster, " + suffrage(tok.Voter)
	return m, nil
}

func applyClusterMember(a *applyCtx, p *ClusterMember) (any, error) {
	if p.NodeID == "" {
		return nil, fmt.Errorf("%w: nœud manquant", ErrInvalid)
	}
	m, err := a.tx.ClusterMember(a.ctx, p.NodeID)
	if errors.Is(err, store.ErrNotFound) {
		// The first node bootstrapped the cluster without a token.
		m = &store.ClusterMember{NodeID: p.NodeID, JoinedAt: a.at}
	} else if err != nil {
		return nil, err
	}
	if m.Removed {
		return nil, fmt.Errorf("%w: le nœud %s a déjà été retiré du cluster", ErrConflict, p.NodeID)
	}
	if p.Address != "" {
		m.Address = p.Address
	}
	m.Voter, m.Removed, m.UpdatedAt = p.Voter, p.Removed, a.at
	if err := a.tx.PutClusterMember(m); err != nil {
		return nil, err
	}
	switch {
	case p.Removed:
		a.summary = "Nœud " + p.NodeID + " retiré du cluster"
	default:
		a.summary = "Nœud " + p.NodeID + ": " + suffrage(p.Voter)
	}
	return m, nil
}

func suffrage(voter bool) string {
	if voter {
		return "votant"
	}
	return "non votant"
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"missive/appliance"
	"missive/appliance/blob"
	"missive/appliance/domain"

	"github.com/hashicorp/raft"
)

// Membership: tokens, status, promotion, demotion, removal.

// Services is what the cluster needs of the appliance once it runs:
// the replicated record of tokens and members, and the admission of
// forwarded commands. appliance.Service implements it.
type Services interface {
	Admitter
	CreateJoinToken(ctx context.Context, hash string, voter bool, expires time.Time) error
	UseJoinToken(ctx context.Context, hash, nodeID, address string) (*domain.ClusterMember, error)
	SetClusterMember(ctx context.Context, m appliance.ClusterMember) error
	ClusterMember(ctx context.Context, nodeID string) (*domain.ClusterMember, error)
}

// Attach gives the node the appliance's services and this node's blob
// store (nil: documents are not spread): until then it refuses joins and
// admits forwarded commands without the numbering check.
func (n *Node) Attach(s Services, blobs *blob.Store) {
	n.blobStore.Store(blobs)
	n.svc.Store(&s)
	n.attachBlobs()
	if n.mux != nil {
		n.mux.mu.Lock()
		n.mux.revoked = func(id string) bool {
			m, err := s.ClusterMember(context.Background(), id)
			return err == nil && m.Removed
		}
		n.mux.mu.Unlock()
	}
}

func (n *Node) services() Services {
	if p := n.svc.Load(); p != nil {
		return *p
	}
	return nil
}

// CreateToken records a join token valid for ttl and returns it.
func (n *Node) CreateToken(ctx context.Context, voter bool, ttl time.Duration) (string, time.Time, error) {
	if n.pki == nil {
		return "", time.Time{}, fmt.Errorf("%w: ce nœud n'a pas de port de cluster: relancez-le avec --cluster-listen (ou cluster_listen dans la configuration)", appliance.ErrInvalid)
	}
	svc := n.services()
	if svc == nil {
		return "", time.Time{}, fmt.Errorf("%w: nœud en cours de démarrage", appliance.ErrUnavailable)
	}
	tok, hash := newToken(n.pki.ca.Raw)
	exp := time.Now().Add(ttl)
	if err := svc.CreateJoinToken(ctx, hash, voter, exp); err != nil {
		return "", time.Time{}, fmt.Errorf("record join token: %w", err)
	}
	return tok, exp, nil
}

// NodeStatus is one node as `missive cluster status` shows it.
type NodeStatus struct {
	ID           string `json:"id"`
	Address      string `json:"address"`
	Voter        bool   `json:"voter"`
	Leader       bool   `json:"leader"`
	AppliedIndex uint64 `json:"applied_index"`
	// Lag is how many entries it has applied fewer than the leader.
	Lag uint64 `json:"lag"`
	// LastContact is how long ago a follower last heard from the leader.
	LastContact string `json:"last_contact,omitempty"`
	State       string `json:"state"`
	Error       string `json:"error,omitempty"`
	// CatchUp is set while the node catches up with the leader.
	CatchUp *CatchUp `json:"catch_up,omitempty"`
}

// Status is the whole cluster seen from one node.
type Status struct {
	Self   string       `json:"self"`
	Leader string       `json:"leader"`
	Nodes  []NodeStatus `json:"nodes"`
}

func (n *Node) localStatus() NodeStatus {
	st := NodeStatus{ID: string(n.id), Address: n.addr, AppliedIndex: n.applied.Load(), State: stateName(n.raft.State())}
	if n.removed.Load() {
		st.State = "retiré"
	}
	if n.catchUp != nil {
		st.CatchUp = n.catchUp.status()
	}
	if n.raft.State() == raft.Follower {
		if lc := n.raft.LastContact(); !lc.IsZero() {
			st.LastContact = time.Since(lc).Round(time.Millisecond).String()
		}
	}
	return st
}

func stateName(s raft.RaftState) string {
	switch s {
	case raft.Leader:
		return "leader"
	case raft.Follower:
		return "suiveur"
	case raft.Candidate:
		return "candidat"
	}
	return "arrêté"
}

// Status asks every node of the configuration for its own status.
func (n *Node) Status(ctx context.Context) (*Status, error) {
	out := &Status{Self: string(n.id)}
	// Raft answers nothing else while it installs a snapshot: this
	// node's own status says how far it got.
	if n.removed.Load() || n.catchUp.installing() {
		out.Nodes = []NodeStatus{n.localStatus()}
		return out, nil
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, raftError(err)
	}
	_, leader := n.raft.LeaderWithID()
	out.Leader = string(leader)
	servers := f.Configuration().Servers
	out.Nodes = make([]NodeStatus, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st NodeStatus
			if s.ID == n.id {
				st = n.localStatus()
			} else if n.pool == nil {
				st = NodeStatus{State: "injoignable", Error: "ce nœud n'a pas de port de cluster"}
			} else {
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				r, err := n.pool.call(cctx, string(s.Address), &request{Op: opStatus})
				cancel()
				if err == nil && r.Status != nil {
					st = *r.Status
				} else {
					st = NodeStatus{State: "injoignable", Error: fmt.Sprint(err)}
				}
			}
			st.ID, st.Voter, st.Leader = string(s.ID), s.Suffrage == raft.Voter, s.ID == leader
			if n.pki != nil {
				st.Address = string(s.Address)
			}
			out.Nodes[i] = st
		}()
	}
	wg.Wait()
	var top uint64
	for _, s := range out.Nodes {
		if s.Leader {
			top = s.AppliedIndex
		}
	}
	for i := range out.Nodes {
		if top > out.Nodes[i].AppliedIndex {
			out.Nodes[i].Lag = top - out.Nodes[i].AppliedIndex
		}
		out.Nodes[i].CatchUp.againstLeader(out.Nodes[i].Lag, top > 0)
	}
	return out, nil
}

// Membership changes an administrator asks for.
const (
	actionPromote = "promote"
	actionDemote  = "demote"
	actionRemove  = "remove"
)

// ChangeMember promotes, demotes or removes a node (by id or address),
// on the leader: a follower sends the request there.
func (n *Node) ChangeMember(ctx context.Context, node, action string) error {
	return n.changeMember(ctx, node, action)
}

func (n *Node) changeMember(ctx context.Context, node, action string) error {
	if err := n.writable(); err != nil {
		return err
	}
	if n.raft.State() != raft.Leader {
		addr, err := n.leaderAddr(ctx)
		if err != nil {
			return err
		}
		if n.pool == nil {
			return ErrNotLeader
		}
		_, err = n.pool.call(ctx, addr, &request{Op: opMember, Node: node, Action: action})
		return err
	}
	svc := n.services()
	if svc == nil {
		return fmt.Errorf("%w: nœud en cours de démarrage", appliance.ErrUnavailable)
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raftError(err)
	}
	var target *raft.Server
	voters := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
		}
		if string(s.ID) == node || string(s.Address) == node {
			target = &s
		}
	}
	if target == nil {
		return fmt.Errorf("%w: aucun nœud %q dans le cluster (voir missive cluster status)", appliance.ErrNotFound, node)
	}
	isVoter := target.Suffrage == raft.Voter
	if (action == actionDemote || action == actionRemove) && isVoter && voters == 1 {
		return fmt.Errorf("%w: %s est le dernier nœud votant: promouvez-en un autre d'abord", appliance.ErrConflict, target.ID)
	}
	m := appliance.ClusterMember{NodeID: string(target.ID), Address: string(target.Address)}
	var fut raft.Future
	switch action {
	case actionPromote:
		m.Voter = true
		if err := svc.SetClusterMember(ctx, m); err != nil {
			return err
		}
		fut = n.raft.AddVoter(target.ID, target.Address, 0, n.cfg.ApplyTimeout)
	case actionDemote:
		if err := svc.SetClusterMember(ctx, m); err != nil {
			return err
		}
		fut = n.raft.DemoteVoter(target.ID, 0, n.cfg.ApplyTimeout)
	case actionRemove:
		// Revoked first: from this commit on, its certificate opens
		// nothing on any node.
		m.Voter, m.Removed = isVoter, true
		// Already revoked: a removal that failed half-way, asked again.
		if err := svc.SetClusterMember(ctx, m); err != nil && !errors.Is(err, appliance.ErrConflict) {
			return err
		}
		fut = n.raft.RemoveServer(target.ID, 0, n.cfg.ApplyTimeout)
	default:
		return fmt.Errorf("%w: action %q inconnue", appliance.ErrInvalid, action)
	}
	if err := fut.Error(); err != nil {
		return raftError(err)
	}
	n.cfg.Log.Info("cluster membership changed", "node", target.ID, "action", action)
	if action == actionRemove {
		if target.ID == n.id {
			n.markRemoved(string(n.id))
		} else {
			n.tellRemoved(string(target.Address))
		}
	}
	return nil
}

// tellRemoved tells a removed node so, if it can be reached: it then
// refuses writes. One that cannot be reached finds its certificate
// refused everywhere when it comes back.
func (n *Node) tellRemoved(addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := n.pool.call(ctx, addr, &request{Op: opRemoved}); err != nil {
		n.cfg.Log.Warn("could not tell a removed node", "address", addr, "err", err)
	}
}

// markRemoved makes this node refuse writes for good and stops its raft.
func (n *Node) markRemoved(by string) {
	if n.removed.Swap(true) {
		return
	}
	n.stateMu.Lock()
	n.state.Removed = time.Now().UTC().Format(time.RFC3339)
	err := n.state.save(n.clusterDir())
	n.stateMu.Unlock()
	if err != nil {
		n.cfg.Log.Error("record removal from the cluster", "err", err)
	}
	n.cfg.Log.Warn("this node was removed from the cluster: it refuses writes from now on", "by", by)
	go func() {
		n.raft.Shutdown().Error()
		if n.trans != nil {
			n.trans.Close()
		}
	}()
}

// servePromote makes a joined node a voter, when its token said so.
func (n *Node) servePromote(ctx context.Context, peer string) error {
	if n.raft.State() != raft.Leader {
		return ErrNotLeader
	}
	svc := n.services()
	if svc == nil {
		return fmt.Errorf("%w: nœud en cours de démarrage", appliance.ErrUnavailable)
	}
	m, err := svc.ClusterMember(ctx, peer)
	if err != nil {
		return err
	}
	if !m.Voter || m.Removed {
		return fmt.Errorf("%w: le nœud %s n'est pas admis comme votant", appliance.ErrForbidden, peer)
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raftError(err)
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) != peer {
			continue
		}
		if s.Suffrage == raft.Voter {
			return nil
		}
		if err := n.raft.AddVoter(s.ID, s.Address, 0, n.cfg.ApplyTimeout).Error(); err != nil {
			return raftError(err)
		}
		n.cfg.Log.Info("node caught up and promoted to voter", "node", peer)
		return nil
	}
	return fmt.Errorf("%w: nœud %s absent de la configuration", appliance.ErrNotFound, peer)
}

// promoteWhenCaughtUp runs on a node that joined to be a voter: once it
// has applied what the leader had committed, it asks to vote.
func (n *Node) promoteWhenCaughtUp() {
	defer n.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := n.ReadIndex(ctx)
		if err == nil {
			var addr string
			if addr, err = n.leaderAddr(ctx); err == nil {
				_, err = n.pool.call(ctx, addr, &request{Op: opPromote})
			}
		}
		cancel()
		if err == nil {
			n.stateMu.Lock()
			n.state.PendingVoter = false
			if err := n.state.save(n.clusterDir()); err != nil {
				// It votes; the next start asks again, harmlessly.
				n.cfg.Log.Warn("record that this node votes", "err", err)
			}
			n.stateMu.Unlock()
			n.cfg.Log.Info("this node caught up and now votes")
			return
		}
		n.cfg.Log.Info("waiting to catch up before voting", "err", err)
		select {
		case <-n.closed:
			return
		case <-time.After(time.Second):
		}
	}
}

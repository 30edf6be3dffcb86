package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// When the cluster has no quorum, a node goes on serving reads from its
// own store and refuses writes at once, saying why (ErrNoQuorum), instead
// of holding each request for the whole ApplyTimeout: a town's agents see
// "pas de quorum" within moments, SMTP senders get 451 and retry.
//
// A write that finds no leader waits for one only while an election may
// still be under way: electionWait from the moment this node last lost
// sight of a leader (or from the call, when it never saw one since it
// started). Past that, no leader means no quorum, and the refusal is
// immediate.
const electionWait = 8 * time.Second

// awaitLeader says whether a caller that found no leader may wait a little
// longer for an election. start is when the caller began.
func (n *Node) awaitLeader(start time.Time) bool {
	since := start
	if gone := n.leaderGone.Load(); gone != 0 && time.Unix(0, gone).Before(since) {
		since = time.Unix(0, gone)
	}
	return time.Since(since) < electionWait
}

// noteLeader records, from raft's observations, since when this node knows
// no leader (0 while it knows one).
func (n *Node) noteLeader(o raft.LeaderObservation) {
	if o.LeaderID == "" {
		n.leaderGone.CompareAndSwap(0, time.Now().UnixNano())
		return
	}
	n.leaderGone.Store(0)
}

// HasLeader says whether this node knows a leader now: false while the
// cluster has no quorum (or this node is cut off from it). The web UI shows
// that its data may be stale.
func (n *Node) HasLeader() bool {
	if n.raft == nil || n.removed.Load() {
		return false
	}
	_, id := n.raft.LeaderWithID()
	return id != ""
}

// Removed says whether this node was removed from the cluster: it serves
// what it has and refuses writes.
func (n *Node) Removed() bool { return n.removed.Load() }

// probeRemoved asks the other servers of the configuration whether this
// node was removed while it was down: a removed node's certificate is
// refused everywhere, so it would otherwise wait for a leader for ever. A
// peer's rpc service answers a removed node's request with ErrRemoved
// (mux.go) before it closes the connection.
func (n *Node) probeRemoved(ctx context.Context) bool {
	if n.pool == nil {
		return false
	}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID == n.id {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := n.pool.call(pctx, string(s.Address), &request{Op: opStatus})
		cancel()
		if errors.Is(n.revoked(err, string(s.ID)), ErrRemoved) {
			return true
		}
	}
	return false
}

// refuseRemoved answers the first rpc request of a removed node's
// connection with ErrRemoved, so that it learns why it is refused.
func refuseRemoved(rc *rpcConn) {
	rc.c.SetDeadline(time.Now().Add(handshakeTimeout))
	var req request
	if rc.dec.Decode(&req) != nil {
		return
	}
	rc.enc.Encode(&reply{Err: &wireError{Code: codeRevoked, Msg: ErrRemoved.Reason}})
}

// errRevoked is a peer's answer to a node it removed: this node. It
// matches ErrRemoved.
var errRevoked = fmt.Errorf("%w (un autre nœud refuse le certificat de celui-ci)", ErrRemoved)

// revoked marks this node removed when err is a peer saying so, and
// returns ErrRemoved then; otherwise err.
func (n *Node) revoked(err error, peer string) error {
	if !errors.Is(err, errRevoked) {
		return err
	}
	n.cfg.Log.Error("this node was removed from the cluster (its certificate is refused): it serves what it has and refuses writes; "+
		"to bring it back, empty its data dir and join again with a new token (missive cluster token)", "told_by", peer)
	n.markRemoved(peer)
	return ErrRemoved
}

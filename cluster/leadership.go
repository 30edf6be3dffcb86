package cluster

import (
	"sync"

	"github.com/hashicorp/raft"
)

// Effects on the outside world (the outbox, IMAP polling, GED export,
// scheduled jobs) run on the leader only. Their loops wait on
// LeaderChanged besides their own tickers, so that they stop on a node
// that lost the leadership and start on the new leader as soon as raft
// elects it, not at their next tick.

// leaderWatch closes its channel at every change of this node's raft
// state or of the leader it knows, and makes a new one.
type leaderWatch struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *leaderWatch) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *leaderWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
	}
	w.ch = make(chan struct{})
}

// LeaderChanged returns a channel closed at the next change of leadership
// seen by this node (it became leader, lost it, or learnt of another
// leader). Call it again after each close.
func (n *Node) LeaderChanged() <-chan struct{} { return n.leaders.wait() }

// watchLeadership follows raft's observations until the node closes. The
// observer is registered before it returns: a single voter elects itself
// right after, and WaitLeader waits on the change.
func (n *Node) watchLeadership() {
	obs := make(chan raft.Observation, 16)
	o := raft.NewObserver(obs, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.RaftState, raft.LeaderObservation:
			return true
		}
		return false
	})
	n.raft.RegisterObserver(o)
	n.wg.Add(1)
	go n.followLeadership(o, obs)
}

func (n *Node) followLeadership(o *raft.Observer, obs chan raft.Observation) {
	defer n.wg.Done()
	defer n.raft.DeregisterObserver(o)
	for {
		select {
		case <-n.closed:
			n.leaders.fire()
			return
		case ob := <-obs:
			if lo, ok := ob.Data.(raft.LeaderObservation); ok {
				n.noteLeader(lo)
			}
			if st, ok := ob.Data.(raft.RaftState); ok && st == raft.Leader {
				n.cfg.Log.Info("this node leads the cluster: effects on the outside world run here", "node", n.id)
			}
			n.leaders.fire()
		}
	}
}

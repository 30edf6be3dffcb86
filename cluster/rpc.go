package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"missive/appliance"
)

// The rpc service: JSON requests and replies, one request at a time per
// connection, on connections pooled per peer. A proposal gets two
// replies: "queued" once the leader put it in its log (or refused it),
// then its index once committed.

type request struct {
	Op string `json:"op"`
	// Cmd is the encoded command of a proposal.
	Cmd []byte `json:"cmd,omitempty"`
	// Node and Action (promote, demote, remove) are a membership change.
	Node   string `json:"node,omitempty"`
	Action string `json:"action,omitempty"`
}

// Operations of the rpc service.
const (
	opPropose   = "propose"    // a follower's write, to the leader
	opReadIndex = "read_index" // the leader's commit index, leadership checked
	opStatus    = "status"     // a node's own status
	opPromote   = "promote"    // a joined node, caught up, asks to vote
	opMember    = "member"     // promote, demote or remove a node (leader)
	opRemoved   = "removed"    // the leader tells a node it was removed
	opCheck     = "check"      // a node checks its documents (Action "repair": and fetches)
)

type reply struct {
	Err    *wireError  `json:"err,omitempty"`
	Queued bool        `json:"queued,omitempty"`
	Index  uint64      `json:"index,omitempty"`
	Status *NodeStatus `json:"status,omitempty"`
	Blobs  *BlobReport `json:"blobs,omitempty"`
}

// wireError carries an error between nodes with what the other side needs
// to match it with errors.Is.
type wireError struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	// Next is a NumberTakenError's next number.
	Next int `json:"next,omitempty"`
}

// Error codes.
const (
	codeNotLeader   = "not_leader"
	codeShutdown    = "shutdown"
	codeNoQuorum    = "no_quorum"
	codeUnavailable = "unavailable"
	codeRemoved     = "removed"
	codeNumber      = "number_taken"
	codeInvalid     = "invalid"
	codeForbidden   = "forbidden"
	codeNotFound    = "not_found"
	codeConflict    = "conflict"
	codeOther       = "error"
)

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Code: codeOther, Msg: err.Error()}
	var nt *appliance.NumberTakenError
	switch {
	case errors.As(err, &nt):
		w.Code, w.Next, w.Msg = codeNumber, nt.Next, nt.Number
	case errors.Is(err, ErrNotLeader):
		w.Code = codeNotLeader
	case errors.Is(err, ErrShutdown):
		w.Code = codeShutdown
	case errors.Is(err, ErrNoQuorum):
		w.Code = codeNoQuorum
	case errors.Is(err, ErrRemoved):
		w.Code = codeRemoved
	case errors.Is(err, appliance.ErrUnavailable):
		w.Code = codeUnavailable
	case errors.Is(err, appliance.ErrInvalid):
		w.Code = codeInvalid
	case errors.Is(err, appliance.ErrForbidden):
		w.Code = codeForbidden
	case errors.Is(err, appliance.ErrNotFound):
		w.Code = codeNotFound
	case errors.Is(err, appliance.ErrConflict):
		w.Code = codeConflict
	}
	return w
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	var base error
	switch w.Code {
	case codeNumber:
		return &appliance.NumberTakenError{Number: w.Msg, Next: w.Next}
	case codeNotLeader:
		return ErrNotLeader
	case codeShutdown:
		base = ErrShutdown
	case codeNoQuorum:
		base = ErrNoQuorum
	case codeRemoved:
		base = ErrRemoved
	case codeUnavailable:
		base = appliance.ErrUnavailable
	case codeInvalid:
		base = appliance.ErrInvalid
	case codeForbidden:
		base = appliance.ErrForbidden
	case codeNotFound:
		base = appliance.ErrNotFound
	case codeConflict:
		base = appliance.ErrConflict
	default:
		return errors.New(w.Msg)
	}
	return &remoteError{base: base, msg: w.Msg}
}

// remoteError is an error another node answered: its message, matching
// the sentinel it wrapped there.
type remoteError struct {
	base error
	msg  string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.base }

// rpcConn is one connection of the rpc service.
type rpcConn struct {
	c   net.Conn
	enc *json.Encoder
	dec *json.Decoder
}

func newRPCConn(c net.Conn) *rpcConn {
	return &rpcConn{c: c, enc: json.NewEncoder(c), dec: json.NewDecoder(c)}
}

// call sends a request and reads one reply, within ctx's deadline.
func (rc *rpcConn) call(ctx context.Context, req *request) (*reply, error) {
	rc.deadline(ctx)
	if err := rc.enc.Encode(req); err != nil {
		return nil, err
	}
	return rc.read(ctx)
}

func (rc *rpcConn) read(ctx context.Context) (*reply, error) {
	rc.deadline(ctx)
	var r reply
	if err := rc.dec.Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// alive says whether an idle connection is still open at the other end:
// the peer never writes unasked, so a read that times out finds it alive,
// and one that returns finds it closed (the peer restarted). A request
// sent on a dead connection would fail after it left, its outcome
// unknown; this check makes that rare.
func (rc *rpcConn) alive() bool {
	rc.c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := rc.c.Read(b[:])
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		rc.c.SetReadDeadline(time.Time{})
		return true
	}
	return false
}

func (rc *rpcConn) deadline(ctx context.Context) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(time.Minute)
	}
	rc.c.SetDeadline(dl)
}

// pool keeps idle rpc connections per peer address, so that a forwarded
// write does not pay a TCP and TLS handshake.
type pool struct {
	d       *dialer
	mu      sync.Mutex
	idle    map[string][]*rpcConn
	maxIdle int
}

func newPool(d *dialer) *pool {
	return &pool{d: d, idle: map[string][]*rpcConn{}, maxIdle: 16}
}

func (p *pool) get(ctx context.Context, addr string) (*rpcConn, error) {
	for {
		p.mu.Lock()
		cs := p.idle[addr]
		if len(cs) == 0 {
			p.mu.Unlock()
			break
		}
		rc := cs[len(cs)-1]
		p.idle[addr] = cs[:len(cs)-1]
		p.mu.Unlock()
		if rc.alive() {
			return rc, nil
		}
		rc.c.Close()
	}
	c, err := p.d.open(ctx, addr, serviceRPC)
	if err != nil {
		return nil, err
	}
	return newRPCConn(c), nil
}

func (p *pool) put(addr string, rc *rpcConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle[addr]) >= p.maxIdle {
		rc.c.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], rc)
}

// drop closes a broken connection and every idle one to the same peer:
// after a peer restarts, they are all dead.
func (p *pool) drop(addr string, rc *rpcConn) {
	rc.c.Close()
	p.mu.Lock()
	cs := p.idle[addr]
	delete(p.idle, addr)
	p.mu.Unlock()
	for _, c := range cs {
		c.c.Close()
	}
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, cs := range p.idle {
		for _, c := range cs {
			c.c.Close()
		}
		delete(p.idle, addr)
	}
}

// call makes a one-reply request to addr on a pooled connection.
func (p *pool) call(ctx context.Context, addr string, req *request) (*reply, error) {
	rc, err := p.get(ctx, addr)
	if err != nil {
		return nil, err
	}
	r, err := rc.call(ctx, req)
	if err != nil {
		p.drop(addr, rc)
		return nil, fmt.Errorf("%s %s: %w", req.Op, addr, err)
	}
	p.put(addr, rc)
	return r, r.Err.err()
}

// serveRPC answers the requests of one connection, one after the other.
func (n *Node) serveRPC(c net.Conn, peer string) {
	defer c.Close()
	rc := newRPCConn(c)
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Minute))
		var req request
		if err := rc.dec.Decode(&req); err != nil {
			return
		}
		c.SetDeadline(time.Time{})
		if err := n.answer(rc, peer, &req); err != nil {
			n.cfg.Log.Debug("cluster rpc connection closed", "peer", peer, "op", req.Op, "err", err)
			return
		}
	}
}

// answer handles one request; an error ends the connection.
func (n *Node) answer(rc *rpcConn, peer string, req *request) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
	defer cancel()
	send := func(r *reply) error { return rc.enc.Encode(r) }
	switch req.Op {
	case opPropose:
		return n.serveProposal(ctx, req.Cmd, send)
	case opReadIndex:
		idx, err := n.leaderReadIndex(ctx)
		return send(&reply{Index: idx, Err: toWire(err)})
	case opStatus:
		st := n.localStatus()
		return send(&reply{Status: &st})
	case opPromote:
		return send(&reply{Err: toWire(n.servePromote(ctx, peer))})
	case opMember:
		return send(&reply{Err: toWire(n.changeMember(ctx, req.Node, req.Action))})
	case opRemoved:
		n.markRemoved(peer)
		return send(&reply{})
	case opCheck:
		cctx, ccancel := context.WithTimeout(context.Background(), checkTimeout)
		defer ccancel()
		r := n.CheckBlobs(cctx, req.Action == "repair")
		return send(&reply{Blobs: &r})
	}
	return send(&reply{Err: &wireError{Code: codeInvalid, Msg: "opération inconnue " + req.Op}})
}

package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"missive/appliance"
	"missive/appliance/blob"

	"github.com/hashicorp/raft"
)

// Documents between nodes (service 4). A blob is on a majority of the
// voters before the command that references it is proposed (Spread, called
// by blob.Store.Put); a node that lacks one fetches it from a peer by its
// SHA-256 and checks the hash (Fetch: on read, and in the background pass
// of blobsweep.go). Apply never touches the network. See DESIGN.md,
// "Documents".

// BlobHost is what the blob service needs of the appliance:
// appliance.Service implements it. The blob store itself is given to
// Attach by whoever opened it: the Service does not hand it out.
type BlobHost interface {
	// BlobRefs calls fn for every blob the store references.
	BlobRefs(ctx context.Context, fn func(sum string) error) error
}

// A blob request is one JSON line; a push is followed by the content once
// the receiver said it lacks the blob, a get's answer by the content.
type blobRequest struct {
	Op   string `json:"op"` // push, get
	Sum  string `json:"sum"`
	Size int64  `json:"size,omitempty"`
}

type blobReply struct {
	Have bool   `json:"have,omitempty"`
	Size int64  `json:"size,omitempty"`
	Err  string `json:"err,omitempty"`
}

const (
	blobPush = "push"
	blobGet  = "get"
)

// ErrBlobNotSpread: a document could not reach a majority of the voters,
// so the write that needs it was not made.
var ErrBlobNotSpread = &appliance.UnavailableError{Reason: "le document n'a pas pu être copié sur une majorité des nœuds votants du cluster ; rien n'a été enregistré, réessayez quand les sites seront de nouveau reliés"}

// blobs is this node's blob store once attached, nil before.
func (n *Node) blobs() *blob.Store { return n.blobStore.Load() }

func (n *Node) blobHost() BlobHost {
	if h, ok := n.services().(BlobHost); ok {
		return h
	}
	return nil
}

// Spread pushes a blob of this node to the other members and returns once
// a majority of the voters (this node included, if it votes) hold it. The
// pushes to the others go on in the background; a node they miss fetches
// the blob later.
func (n *Node) Spread(ctx context.Context, sum string) error {
	if n.pool == nil || n.removed.Load() {
		return n.writable()
	}
	// No leader for longer than an election takes: too few voters answer
	// to hold a majority of copies either; say so now.
	if !n.HasLeader() && !n.awaitLeader(time.Now()) {
		return ErrNoQuorum
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raftError(err)
	}
	voters, have := 0, 0
	var others []raft.Server
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
		}
		if s.ID == n.id {
			if s.Suffrage == raft.Voter {
				have++
			}
			continue
		}
		others = append(others, s)
	}
	need := voters/2 + 1
	if have >= need {
		go n.pushAll(others, sum)
		return nil
	}
	done := make(chan bool, len(others))
	for _, s := range others {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			pctx, cancel := context.WithTimeout(context.Background(), blob.SpreadTimeout)
			defer cancel()
			err := n.pushBlob(pctx, string(s.Address), sum)
			if err != nil {
				n.cfg.Log.Warn("document not copied to a node", "node", s.ID, "sha256", sum, "err", err)
			}
			done <- err == nil && s.Suffrage == raft.Voter
		}()
	}
	for range others {
		select {
		case ok := <-done:
			if ok {
				have++
			}
		case <-ctx.Done():
			return fmt.Errorf("%w (%d sur %d)", ErrBlobNotSpread, have, need)
		case <-n.closed:
			return ErrShutdown
		}
		if have >= need {
			return nil
		}
	}
	return fmt.Errorf("%w (%d sur %d)", ErrBlobNotSpread, have, need)
}

// pushAll copies a blob to every other member, in the background.
func (n *Node) pushAll(others []raft.Server, sum string) {
	for _, s := range others {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), blob.SpreadTimeout)
			defer cancel()
			if err := n.pushBlob(ctx, string(s.Address), sum); err != nil {
				n.cfg.Log.Info("document not copied to a node now: it will fetch it", "node", s.ID, "sha256", sum, "err", err)
			}
		}()
	}
}

// pushBlob sends one blob to the node at addr, unless it has it.
func (n *Node) pushBlob(ctx context.Context, addr, sum string) error {
	bs := n.blobs()
	if bs == nil {
		return errors.New("blob store not attached")
	}
	f, err := bs.OpenLocal(sum)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	c, err := n.openBlobConn(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if err := writeLine(c, blobRequest{Op: blobPush, Sum: sum, Size: fi.Size()}); err != nil {
		return err
	}
	var rep blobReply
	if err := readLine(r, &rep); err != nil {
		return err
	}
	if rep.Err != "" {
		return errors.New(rep.Err)
	}
	if rep.Have {
		return nil
	}
	if _, err := io.Copy(c, f); err != nil {
		return fmt.Errorf("send document %s to %s: %w", sum, addr, err)
	}
	if err := readLine(r, &rep); err != nil {
		return err
	}
	if rep.Err != "" {
		return errors.New(rep.Err)
	}
	return nil
}

// Fetch gets a blob this node lacks from a peer, the leader first, and
// stores it once its hash is checked. A peer that sends other content is
// skipped.
func (n *Node) Fetch(ctx context.Context, sum string) error {
	bs := n.blobs()
	if n.pool == nil || bs == nil {
		return fmt.Errorf("%w: %s", blob.ErrNotFound, sum)
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raftError(err)
	}
	leader, _ := n.raft.LeaderWithID()
	var addrs []string
	if leader != "" && string(leader) != n.addr {
		addrs = append(addrs, string(leader))
	}
	for _, s := range f.Configuration().Servers {
		if s.ID != n.id && s.Address != leader {
			addrs = append(addrs, string(s.Address))
		}
	}
	var errs []error
	for _, addr := range addrs {
		err := n.fetchFrom(ctx, bs, addr, sum)
		if err == nil {
			n.cfg.Log.Info("document fetched from another node", "sha256", sum, "from", addr)
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("%w: %s sur aucun autre nœud: %w", blob.ErrNotFound, sum, errors.Join(errs...))
}

func (n *Node) fetchFrom(ctx context.Context, bs *blob.Store, addr, sum string) error {
	c, err := n.openBlobConn(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if err := writeLine(c, blobRequest{Op: blobGet, Sum: sum}); err != nil {
		return err
	}
	var rep blobReply
	if err := readLine(r, &rep); err != nil {
		return err
	}
	if rep.Err != "" {
		return errors.New(rep.Err)
	}
	return bs.Receive(io.LimitReader(r, rep.Size), sum)
}

func (n *Node) openBlobConn(ctx context.Context, addr string) (net.Conn, error) {
	c, err := n.pool.d.open(ctx, addr, serviceBlob)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	return c, nil
}

// serveBlob answers one blob request of another member.
func (n *Node) serveBlob(c net.Conn, peer string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(blob.SpreadTimeout))
	r := bufio.NewReader(c)
	var req blobRequest
	if err := readLine(r, &req); err != nil {
		return
	}
	bs := n.blobs()
	if bs == nil || !blob.ValidHash(req.Sum) {
		writeLine(c, blobReply{Err: "document store not ready or bad hash"})
		return
	}
	switch req.Op {
	case blobPush:
		if bs.Has(req.Sum) {
			writeLine(c, blobReply{Have: true})
			return
		}
		if err := writeLine(c, blobReply{}); err != nil {
			return
		}
		if err := bs.Receive(io.LimitReader(r, req.Size), req.Sum); err != nil {
			n.cfg.Log.Warn("document from another node refused", "node", peer, "sha256", req.Sum, "err", err)
			writeLine(c, blobReply{Err: err.Error()})
			return
		}
		writeLine(c, blobReply{})
	case blobGet:
		f, err := bs.OpenLocal(req.Sum)
		if err != nil {
			writeLine(c, blobReply{Err: err.Error()})
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			writeLine(c, blobReply{Err: err.Error()})
			return
		}
		if err := writeLine(c, blobReply{Size: fi.Size()}); err != nil {
			return
		}
		io.Copy(c, f)
	default:
		writeLine(c, blobReply{Err: "unknown blob operation " + req.Op})
	}
}

func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func readLine(r *bufio.Reader, v any) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// blobSignal wakes the background pass (blobsweep.go) without blocking.
type blobSignal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *blobSignal) c() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}

func (s *blobSignal) kick() {
	select {
	case s.c() <- struct{}{}:
	default:
	}
}

// attachBlobs makes the blob store spread and fetch through this node and
// starts the background pass, once the appliance is attached.
func (n *Node) attachBlobs() {
	bs := n.blobs()
	if n.blobHost() == nil || n.pool == nil || bs == nil {
		return
	}
	n.attachOnce.Do(func() {
		bs.SetReplica(n)
		n.wg.Add(1)
		go n.sweepBlobs()
	})
}

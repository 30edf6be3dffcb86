package kernel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"missive/appliance/store"
)

// KindHistoryCheckpoint puts a signed head of the history chain in the
// raft log: the leader proposes one now and then (RunCheckpoints), so that
// the raft log, every node's store, every snapshot and every backup hold
// signed evidence of what the history was at that point.
const KindHistoryCheckpoint Kind = "history.checkpoint"

// CheckpointTenant is the tenant of checkpoints: they are about the whole
// history, not one town's, and no town's history page lists them.
const CheckpointTenant = "*"

// HistoryCheckpoint: entry Seq of the history had hash Head; Sig signs both
// with the history key.
type HistoryCheckpoint struct {
	Seq  int64  `json:"seq"`
	Head string `json:"head"`
	Sig  string `json:"sig"`
}

func checkpointText(seq int64, head string) string {
	return "checkpoint " + strconv.FormatInt(seq, 10) + " " + head
}

// registerHistoryCheckpoint registers the apply function of each kind below with r.
func registerHistoryCheckpoint(r *Registry) {
	Handle(r, KindHistoryCheckpoint, applyHistoryCheckpoint)
}

func applyHistoryCheckpoint(a *Ctx, p *HistoryCheckpoint) (any, error) {
	if a.key != nil && !validSig(a.key, checkpointText(p.Seq, p.Head), p.Sig) {
		return nil, fmt.Errorf("%w: point de contrôle de l'historique mal signé (clé de secrets.key différente ?)", ErrInvalid)
	}
	last, _, err := a.Tx.LastHistory(a.Ctx)
	if err != nil {
		return nil, err
	}
	if p.Seq < 1 || p.Seq > last {
		return nil, fmt.Errorf("%w: point de contrôle de l'entrée %d, l'historique en compte %d", ErrInvalid, p.Seq, last)
	}
	h, err := a.Tx.HistoryHash(a.Ctx, p.Seq)
	if err != nil {
		return nil, err
	}
	if h != p.Head {
		return nil, fmt.Errorf("%w: l'historique de ce nœud diffère de celui du leader à l'entrée %d", ErrConflict, p.Seq)
	}
	a.Summary = fmt.Sprintf("Point de contrôle signé de l'historique : entrée n° %d", p.Seq)
	return nil, nil
}

// Checkpoint proposes a signed checkpoint of the history's head and returns
// the entry it signs; made is false when the newest entry is a checkpoint
// already. Only the leader's proposals commit.
func (s *Kernel) Checkpoint(ctx context.Context) (seq int64, made bool, err error) {
	if s.Secrets == nil {
		return 0, false, errors.New("history checkpoint: no secrets.key to sign with")
	}
	key, err := s.Secrets.Derive(HistoryKeyLabel)
	if err != nil {
		return 0, false, err
	}
	seq, head, err := s.Reader().LastHistory(ctx)
	if err != nil || seq == 0 {
		return seq, false, err
	}
	kind, err := s.Reader().HistoryKind(ctx, seq)
	if err != nil || kind == string(KindHistoryCheckpoint) {
		return seq - 1, false, err
	}
	p := HistoryCheckpoint{Seq: seq, Head: head, Sig: SignHistory(key, checkpointText(seq, head))}
	if _, err := s.Propose(ctx, KindHistoryCheckpoint, CheckpointTenant, SystemActor, p); err != nil {
		return seq, false, fmt.Errorf("history checkpoint at %d: %w", seq, err)
	}
	s.Log.Info("history checkpoint", "seq", seq, "head", head)
	return seq, true, nil
}

// SigningAnchorFile, in the data dir, holds the number of the first history
// entry its server signed. It lives outside the database: someone who can
// write the database alone could otherwise remove every signature and pass
// the whole history off as written before signing existed.
const SigningAnchorFile = "history-signed-from"

// ReadSigningAnchor returns the entry from which the history of dataDir is
// signed, 0 when the file is absent.
func ReadSigningAnchor(dataDir string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, SigningAnchorFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", SigningAnchorFile, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: %q is not an entry number", SigningAnchorFile, b)
	}
	return n, nil
}

// EnsureSigningAnchor writes the anchor on the first start that signs: the
// first signed entry of the store, or the next entry if none is signed yet.
func EnsureSigningAnchor(ctx context.Context, dataDir string, r store.Reader) (int64, error) {
	if n, err := ReadSigningAnchor(dataDir); n != 0 || err != nil {
		return n, err
	}
	n, err := r.FirstSigned(ctx)
	if err != nil {
		return 0, fmt.Errorf("find the first signed history entry: %w", err)
	}
	if n == 0 {
		last, _, err := r.LastHistory(ctx)
		if err != nil {
			return 0, err
		}
		n = last + 1
	}
	if err := os.WriteFile(filepath.Join(dataDir, SigningAnchorFile), []byte(strconv.FormatInt(n, 10)+"\n"), 0o640); err != nil {
		return 0, fmt.Errorf("write %s: %w", SigningAnchorFile, err)
	}
	return n, nil
}

// RunCheckpoints proposes a checkpoint every interval while leader says this
// node leads, until ctx ends.
// A node that becomes leader signs at once what the previous leader left
// unsigned (changed, when set, is closed at a change of leadership).
func (s *Kernel) RunCheckpoints(ctx context.Context, every time.Duration, leader func() bool, changed func() <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	was := leader()
	for {
		var ch <-chan struct{}
		if changed != nil {
			ch = changed()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-ch:
			// Only a gain of leadership checkpoints early.
			if now := leader(); !now || was {
				was = now
				continue
			}
		}
		was = leader()
		if !was {
			continue
		}
		if _, _, err := s.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("history checkpoint not made", "err", err)
		}
	}
}

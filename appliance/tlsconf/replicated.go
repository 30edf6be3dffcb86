package tlsconf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// Replicated storage: in a cluster, certmagic keeps its certificates, keys,
// ACME account and locks in the appliance's replicated store, through the
// Service's TLS* methods (commands through the log, values sealed with
// secrets.key). Every node then sees the certificate another obtained, and
// the lock certmagic takes around an ACME order is one lock cluster-wide:
// one order per name, whichever nodes start at once.

// ReplicatedStore is what the replicated Storage needs of the appliance's
// Service (system operations, for this Storage only).
type ReplicatedStore interface {
	TLSStore(ctx context.Context, key string, value []byte) error
	TLSLoad(ctx context.Context, key string) ([]byte, error)
	TLSStat(ctx context.Context, key string) (*domain.TLSAsset, error)
	TLSKeys(ctx context.Context, prefix string) ([]domain.TLSAsset, error)
	TLSDelete(ctx context.Context, key string) error
	TLSLock(ctx context.Context, name, owner string, ttl time.Duration) error
	TLSUnlock(ctx context.Context, name, owner string) error
}

// Lock timing. A lock lives lockTTL from the command that took it and is
// extended every third of it while held, so that a long ACME order keeps
// it and a node that dies holding it blocks the others for lockTTL at
// most. A node waiting for a held lock asks again after lockRetryMin,
// doubling up to lockRetryMax.
const (
	lockTTL      = 2 * time.Minute
	lockRetryMin = 250 * time.Millisecond
	lockRetryMax = 5 * time.Second
)

// Replicated is the Storage of a cluster's node: svc is the node's Service,
// owner names this node in the locks it takes (its cluster id).
func Replicated(svc ReplicatedStore, owner string, log *slog.Logger) Storage {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &replicated{svc: svc, owner: owner, log: log, ttl: lockTTL, held: map[string]*heldLock{}}
}

type replicated struct {
	svc   ReplicatedStore
	owner string
	log   *slog.Logger
	// ttl is lockTTL (shorter in tests); locks are extended every ttl/3.
	ttl time.Duration

	mu sync.Mutex
	// held are the locks this process holds or is taking, one per name:
	// the replicated lock is per owner, and two goroutines of this node
	// must not both pass it.
	held map[string]*heldLock
}

type heldLock struct {
	free chan struct{} // closed when this process releases the name
	stop context.CancelFunc
	done chan struct{} // closed when the refresher returned
}

func notExist(key string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return err
}

func (r *replicated) Store(ctx context.Context, key string, value []byte) error {
	return r.svc.TLSStore(ctx, key, value)
}

func (r *replicated) Load(ctx context.Context, key string) ([]byte, error) {
	v, err := r.svc.TLSLoad(ctx, key)
	return v, notExist(key, err)
}

// Delete deletes key and everything under it; a missing key is no error.
func (r *replicated) Delete(ctx context.Context, key string) error {
	return r.svc.TLSDelete(ctx, key)
}

func (r *replicated) Exists(ctx context.Context, key string) bool {
	_, err := r.Stat(ctx, key)
	return err == nil
}

// Stat describes a stored key, or a "directory": a prefix of stored keys.
func (r *replicated) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	a, err := r.svc.TLSStat(ctx, key)
	if err == nil {
		mod, _ := time.Parse(domain.TimeLayout, a.ModifiedAt)
		return certmagic.KeyInfo{Key: key, Modified: mod, Size: a.Size, IsTerminal: true}, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return certmagic.KeyInfo{}, err
	}
	under, err := r.svc.TLSKeys(ctx, key)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	if len(under) == 0 {
		return certmagic.KeyInfo{}, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return certmagic.KeyInfo{Key: key, IsTerminal: false}, nil
}

// List names what is under prefix: its direct children (keys and
// directories), or with recursive every key and directory below it, as
// certmagic's FileStorage does.
func (r *replicated) List(ctx context.Context, prefix string, recursive bool) ([]string, error) {
	under, err := r.svc.TLSKeys(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if len(under) == 0 {
		return nil, fmt.Errorf("%s: %w", prefix, fs.ErrNotExist)
	}
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, a := range under {
		rel := a.Key
		if prefix != "" {
			rel = strings.TrimPrefix(a.Key, prefix+"/")
		}
		parts := strings.Split(rel, "/")
		if !recursive {
			add(path.Join(prefix, parts[0]))
			continue
		}
		for i := range parts {
			add(path.Join(prefix, strings.Join(parts[:i+1], "/")))
		}
	}
	return out, nil
}

// certmagic extends the lock through this interface before it retries.
var _ certmagic.LockLeaseRenewer = (*replicated)(nil)

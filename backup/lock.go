package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Locks keep prune from deleting packs a running backup has sent but not
// yet indexed. A backup takes a shared lock, prune an exclusive one; a
// lock not refreshed for staleAfter belongs to a process that died and is
// ignored, and so is the lock of a process of this machine that is gone.
// The targets offer no atomic create-if-absent: a backup and a prune
// starting within the same instant could both get their lock (see
// DESIGN.md); the scheduler runs them one after the other.
const (
	staleAfter   = 30 * time.Minute
	refreshEvery = 5 * time.Minute
)

type lockFile struct {
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Exclusive bool      `json:"exclusive"`
	Time      time.Time `json:"time"`
}

// ErrLocked means another process holds the repository.
var ErrLocked = errors.New("sauvegarde en cours d'utilisation par un autre processus")

func (r *Repo) lock(ctx context.Context, exclusive bool) (func(), error) {
	others, err := r.locks(ctx)
	if err != nil {
		return nil, err
	}
	for name, l := range others {
		if exclusive || l.Exclusive {
			what := "une sauvegarde"
			if l.Exclusive {
				what = "un nettoyage (prune)"
			}
			return nil, fmt.Errorf("%s: %w: %s depuis %s (PID %d, le %s); réessayez plus tard, ou supprimez %s/%s s'il est mort",
				r.t, ErrLocked, what, l.Host, l.PID, l.Time.Local().Format("02/01/2006 15:04"), locksDir, name)
		}
	}
	host, _ := os.Hostname()
	name := randomHex(8)
	write := func() error {
		b, _ := json.Marshal(lockFile{Host: host, PID: os.Getpid(), Exclusive: exclusive, Time: time.Now().UTC()})
		return r.put(ctx, locksDir+"/"+name, b)
	}
	if err := write(); err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(refreshEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				write()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		// The lock goes even when the operation's context has ended.
		r.t.Delete(context.WithoutCancel(ctx), locksDir+"/"+name)
	}, nil
}

// locks returns the live locks; stale ones are removed on the way.
func (r *Repo) locks(ctx context.Context) (map[string]lockFile, error) {
	files, err := r.t.List(ctx, locksDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.t, err)
	}
	host, _ := os.Hostname()
	out := map[string]lockFile{}
	for _, f := range files {
		b, err := r.get(ctx, locksDir+"/"+f.Name)
		if err != nil {
			continue // removed meanwhile, or not ours to read
		}
		var l lockFile
		if json.Unmarshal(b, &l) != nil {
			continue
		}
		if time.Since(l.Time) > staleAfter || (l.Host == host && !processAlive(l.PID)) {
			r.t.Delete(ctx, locksDir+"/"+f.Name)
			continue
		}
		out[f.Name] = l
	}
	return out, nil
}

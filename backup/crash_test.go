package backup

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A run stopped half-way (the binary's test kills it with -9) leaves no
// backup listed; the next run sends only what the first had not indexed.
func TestStoppedRunIsReused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 60) // 20 scans of 700 kB and small letters: ~14 MB
	r, dir := fileRepo(t)
	r.cfg.PackSize = 1 << 20
	// Index files every 4 packs only, never by time: a slow machine
	// would otherwise index a pack or two before the run is stopped.
	r.indexEach = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			// Stopped once two index files (8 packs, about half) landed.
			if idx, _ := filepath.Glob(filepath.Join(dir, "index", "[0-9a-f]*")); len(idx) >= 2 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	if _, err := Run(ctx, r, f.src, Options{}); err == nil {
		t.Fatal("the run was not stopped")
	}
	if ms, _, _ := r.List(context.Background()); len(ms) != 0 {
		t.Fatalf("a stopped run is listed: %v", ms)
	}
	m, err := Run(context.Background(), r, f.src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Added > m.Size*3/4 {
		t.Fatalf("the second run added %d of %d bytes: what the first sent was not reused", m.Added, m.Size)
	}
}

package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/store"
	"missive/cluster"
	"missive/cluster/damage"
)

// counter is the smallest Applier: it keeps every entry by index and
// remembers each index it was handed, replays included, which the real
// Applier must survive (it skips them by the applied index in its store).
type counter struct {
	mu       sync.Mutex
	state    map[uint64]string
	seen     []uint64
	snaps    int
	released int
	restores int
	failSnap bool
}

func newCounter() *counter { return &counter{state: map[uint64]string{}} }

func (c *counter) Apply(index uint64, data []byte) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, index)
	c.state[index] = string(data)
	return fmt.Sprintf("appliqué %d: %s", index, data)
}

func (c *counter) SnapshotTo() (func(io.Writer) error, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snaps++
	// Copy now: the stream runs later, while entries keep applying.
	state := make(map[uint64]string, len(c.state))
	for k, v := range c.state {
		state[k] = v
	}
	fail := c.failSnap
	stream := func(w io.Writer) error {
		if fail {
			return errors.New("disque plein")
		}
		return json.NewEncoder(w).Encode(state)
	}
	release := func() { c.mu.Lock(); c.released++; c.mu.Unlock() }
	return stream, release, nil
}

func (c *counter) Restore(r io.Reader) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restores++
	c.state = map[uint64]string{}
	return json.NewDecoder(r).Decode(&c.state)
}

func (c *counter) seenIndices() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64(nil), c.seen...)
}

func open(t testing.TB, dir string, a cluster.Applier) *cluster.Node {
	t.Helper()
	n, err := cluster.Open(cluster.Config{DataDir: dir, Applier: a, Log: apptest.Logger(), ApplyTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		n.Close()
		t.Fatalf("wait leader: %v", err)
	}
	return n
}

func propose(t *testing.T, n *cluster.Node, data string) (string, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := n.Propose(ctx, []byte(data))
	if err != nil {
		t.Fatalf("propose %q: %v", data, err)
	}
	s, ok := resp.(string)
	if !ok {
		t.Fatalf("propose %q: response %T, want the string Apply returned", data, resp)
	}
	var index uint64
	if _, err := fmt.Sscanf(s, "appliqué %d:", &index); err != nil || s != fmt.Sprintf("appliqué %d: %s", index, data) {
		t.Fatalf("propose %q: response %q is not Apply's", data, s)
	}
	return s, index
}

func TestOpenBootstrapsALeaderAndProposeReturnsApply(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newCounter()
	n := open(t, dir, c)
	defer n.Close()
	if !n.Ready() {
		t.Fatal("a cluster of one is not ready (leader) after WaitLeader")
	}
	_, i1 := propose(t, n, "premier")
	_, i2 := propose(t, n, "second")
	if i2 != i1+1 {
		t.Fatalf("indices %d then %d, want consecutive", i1, i2)
	}
	if _, err := os.Stat(filepath.Join(dir, "raft", "raft.db")); err != nil {
		t.Fatalf("raft log not under DATA/raft: %v", err)
	}
	if id, err := os.ReadFile(filepath.Join(dir, "node-id")); err != nil || len(id) < 2 {
		t.Fatalf("node id not persisted: %q %v", id, err)
	}

	if err := n.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	_, err := n.Propose(context.Background(), []byte("après"))
	if !errors.Is(err, cluster.ErrShutdown) || !errors.Is(err, appliance.ErrUnavailable) {
		t.Fatalf("propose after close: %v, want ErrShutdown wrapping appliance.ErrUnavailable", err)
	}
	if n.Ready() {
		t.Fatal("a closed node says it is ready")
	}
}

func TestReopenReplaysCommittedEntries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c1 := newCounter()
	n := open(t, dir, c1)
	var indices []uint64
	for _, s := range []string{"a", "b", "c"} {
		_, i := propose(t, n, s)
		indices = append(indices, i)
	}
	nodeID, _ := os.ReadFile(filepath.Join(dir, "node-id"))
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	// Raft does not know how far a persistent FSM got: on restart it hands
	// every committed entry since the last snapshot to Apply again. The real
	// Applier skips those at or below the applied index kept in its store
	// (TestRealApplierDoesNotReapply); this fake shows that they come.
	c2 := newCounter()
	n2 := open(t, dir, c2)
	defer n2.Close()
	seen := map[uint64]bool{}
	for _, i := range c2.seenIndices() {
		seen[i] = true
	}
	for k, i := range indices {
		if !seen[i] {
			t.Errorf("entry %d (%q) was not replayed after restart; replayed: %v", i, "abc"[k:k+1], c2.seenIndices())
		}
		if c2.state[i] != "abc"[k:k+1] {
			t.Errorf("entry %d replayed as %q", i, c2.state[i])
		}
	}
	if c2.restores != 0 {
		t.Fatalf("restore ran %d times on start; NoSnapshotRestoreOnStart is meant to keep the store as is", c2.restores)
	}
	_, next := propose(t, n2, "d")
	if next <= indices[2] {
		t.Fatalf("index after restart %d, want > %d", next, indices[2])
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "node-id")); string(again) != string(nodeID) {
		t.Fatalf("node id changed across restart: %q → %q", nodeID, again)
	}
}

func TestSecondOpenOnLockedDirFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := open(t, dir, newCounter())
	start := time.Now()
	n2, err := cluster.Open(cluster.Config{DataDir: dir, Applier: newCounter(), Log: apptest.Logger()})
	if err == nil {
		n2.Close()
		n.Close()
		t.Fatal("a second Open on a data dir in use succeeded")
	}
	if !errors.Is(err, cluster.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	// The holder is named, for the message a person reads.
	var locked *cluster.LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() || locked.Dir != dir {
		t.Fatalf("second open: %#v, want a LockedError naming %s and this process (PID %d)", err, dir, os.Getpid())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second open took %v to fail; it should not wait on the raft log", d)
	}
	propose(t, n, "toujours là")
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// Closing releases the lock.
	n3 := open(t, dir, newCounter())
	n3.Close()
}

func TestSnapshotPersistsThroughSnapshotTo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newCounter()
	n := open(t, dir, c)
	var last uint64
	for i := 0; i < 5; i++ {
		_, last = propose(t, n, fmt.Sprintf("e%d", i))
	}
	if err := n.Snapshot(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	c.mu.Lock()
	snaps, released := c.snaps, c.released
	c.mu.Unlock()
	if snaps != 1 || released != 1 {
		t.Fatalf("SnapshotTo called %d times, release %d times; want 1 and 1", snaps, released)
	}
	states, _ := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*", "state.bin"))
	if len(states) != 1 {
		t.Fatalf("snapshot files %v, want one", states)
	}
	state, err := os.ReadFile(states[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := cluster.LogicalSnapshot(state)
	if err != nil {
		t.Fatal(err)
	}
	var got map[uint64]string
	if err := json.Unmarshal(b, &got); err != nil || got[last] != "e4" || len(got) < 5 {
		t.Fatalf("persisted snapshot is not what SnapshotTo streamed: %s (%v)", b, err)
	}

	// A stream that fails leaves no snapshot behind and says so.
	c.mu.Lock()
	c.failSnap = true
	c.mu.Unlock()
	propose(t, n, "e5")
	if err := n.Snapshot(); err == nil {
		t.Fatal("a failing snapshot stream was reported as a success")
	}
	if states, _ := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*", "state.bin")); len(states) != 1 {
		t.Fatalf("after a failed snapshot: %v, want the one good snapshot", states)
	}
	_, after := propose(t, n, "e6")
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	// On restart only what follows the snapshot is replayed, and the
	// snapshot is not restored over the (persistent) state.
	c2 := newCounter()
	n2 := open(t, dir, c2)
	defer n2.Close()
	seen := c2.seenIndices()
	for _, i := range seen {
		if i <= last {
			t.Fatalf("entry %d, covered by the snapshot at %d, was replayed: %v", i, last, seen)
		}
	}
	if c2.state[after] != "e6" {
		t.Fatalf("entry %d after the snapshot was not replayed: %v", after, seen)
	}
	if c2.restores != 0 {
		t.Fatalf("snapshot restored on start %d times", c2.restores)
	}
}

// TestRealApplierDoesNotReapply runs the appliance's Applier over a real
// store behind a raft node: a restart replays the log, and the store's
// applied index turns every replayed entry into a no-op.
func TestRealApplierDoesNotReapply(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	counts := func(st *store.Store) (letters int, history int64) {
		t.Helper()
		res, err := appliance.VerifyHistory(ctx, st.Reader())
		if err != nil || res.BadSeq != 0 {
			t.Fatalf("history verify: %+v %v", res, err)
		}
		n, _, err := st.Reader().Letters(ctx, store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(n), res.Entries
	}
	start := func() (*cluster.Node, *store.Store, *appliance.Service) {
		t.Helper()
		st, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		blobs, err := blob.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := open(t, dir, appliance.NewApplier(st, apptest.Logger()))
		return n, st, appliance.NewService(st, blobs, n, apptest.Logger())
	}

	n, st, svc := start()
	if err := svc.Bootstrap(ctx, "Commune", apptest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Authenticate(ctx, "default", "admin", apptest.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for i := 0; i < 3; i++ {
		l, err := svc.RegisterLetter(ctx, admin, appliance.RegisterInput{Category: "incoming", Subject: fmt.Sprintf("Courrier %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		last = l.ID
	}
	// A redirect updates in place, with no unique key to refuse a second
	// application: replayed, it would add a history entry.
	e, err := svc.CreateEntity(ctx, admin, appliance.EntityInput{Code: "URBA", Name: "Urbanisme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Redirect(ctx, admin, last, appliance.RedirectInput{EntityID: e.ID}); err != nil {
		t.Fatal(err)
	}
	letters, entries := counts(st)
	applied, _ := st.AppliedIndex(ctx)
	n.Close()
	st.Close()

	n, st, _ = start()
	defer st.Close()
	defer n.Close()
	l2, e2 := counts(st)
	if l2 != letters || e2 != entries {
		t.Fatalf("after restart: %d letters and %d history entries, before %d and %d", l2, e2, letters, entries)
	}
	if a2, _ := st.AppliedIndex(ctx); a2 < applied {
		t.Fatalf("applied index went back from %d to %d", applied, a2)
	}
}

// copyStoreFiles copies the SQLite store files (database, WAL) of one data
// dir to another, removing the destination's first.
func copyStoreFiles(t *testing.T, from, to string) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(to, "missive.db*"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(from, "missive.db*"))
	if len(files) == 0 {
		t.Fatalf("no store file in %s", from)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A machine crash with SQLite's synchronous=NORMAL can lose the last store
// commits while raft's log and a snapshot taken after them survive: raft
// replays only what follows its snapshot. Here the store is set back to a
// copy taken before the snapshot; on start the node restores the snapshot
// before the log is replayed, and nothing is missing.
func TestStoreBehindSnapshotIsRestored(t *testing.T) {
	t.Parallel()
	t.Run("compressed", func(t *testing.T) { t.Parallel(); storeBehindSnapshot(t, false) })
	// A snapshot taken by an earlier version, not compressed, still reads.
	t.Run("earlier", func(t *testing.T) { t.Parallel(); storeBehindSnapshot(t, true) })
}

func storeBehindSnapshot(t *testing.T, uncompressed bool) {
	dir := t.TempDir()
	ctx := context.Background()
	start := func() (*cluster.Node, *store.Store, *appliance.Service, *appliance.Actor) {
		t.Helper()
		st, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		blobs, err := blob.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := open(t, dir, appliance.NewApplier(st, apptest.Logger()))
		svc := appliance.NewService(st, blobs, n, apptest.Logger())
		if _, err := st.Reader().Tenant(ctx, "default"); errors.Is(err, store.ErrNotFound) {
			if err := svc.Bootstrap(ctx, "Commune", apptest.AdminPassword); err != nil {
				t.Fatal(err)
			}
		}
		admin, err := svc.Authenticate(ctx, "default", "admin", apptest.AdminPassword, "test")
		if err != nil {
			t.Fatal(err)
		}
		return n, st, svc, admin
	}
	register := func(svc *appliance.Service, admin *appliance.Actor, k int) {
		t.Helper()
		for i := 0; i < k; i++ {
			if _, err := svc.RegisterLetter(ctx, admin, appliance.RegisterInput{Category: "incoming", Subject: "Courrier"}); err != nil {
				t.Fatal(err)
			}
		}
	}

	n, st, svc, admin := start()
	register(svc, admin, 3)
	n.Close()
	st.Close()
	old := t.TempDir()
	copyStoreFiles(t, dir, old)

	n, st, svc, admin = start()
	register(svc, admin, 3)
	if err := n.Snapshot(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	register(svc, admin, 2)
	n.Close()
	st.Close()

	// The power cut: the store is back to before the snapshot.
	copyStoreFiles(t, old, dir)
	if uncompressed {
		uncompressSnapshot(t, dir)
	}
	n, st, svc, admin = start()
	defer st.Close()
	defer n.Close()
	all := store.Perimeter{TenantID: "default", All: true}
	letters, total, err := st.Reader().Letters(ctx, all, store.LetterFilter{Sort: "number", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if total != 8 {
		t.Fatalf("%d letters after restart, want the 8 registered", total)
	}
	for i, l := range letters {
		if want := fmt.Sprintf("/A/%06d", i+1); !strings.HasSuffix(l.Number, want) {
			t.Fatalf("letter %d is %s, want …%s", i, l.Number, want)
		}
	}
	res, err := appliance.VerifyHistory(ctx, st.Reader())
	if err != nil || res.BadSeq != 0 {
		t.Fatalf("history verify: %+v %v", res, err)
	}
	l, err := svc.RegisterLetter(ctx, admin, appliance.RegisterInput{Category: "incoming", Subject: "Après"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(l.Number, "/A/000009") {
		t.Fatalf("next registration took number %s, want …/A/000009", l.Number)
	}
}

// Registrations through raft overlap (stamped and queued under the
// numbering lock, committed outside it): the numbers are still 1…n, each
// once, and the history chain holds.
func TestConcurrentRegistrationsThroughRaft(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := blob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := open(t, dir, appliance.NewApplier(st, apptest.Logger()))
	defer n.Close()
	svc := appliance.NewService(st, blobs, n, apptest.Logger())
	if err := svc.Bootstrap(ctx, "Commune", apptest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Authenticate(ctx, "default", "admin", apptest.AdminPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	const k = 40
	numbers := make([]string, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() {
			l, err := svc.RegisterLetter(ctx, admin, appliance.RegisterInput{Category: "internal", Subject: fmt.Sprintf("Note %d", i)})
			if err != nil {
				t.Errorf("registration %d: %v", i, err)
				return
			}
			numbers[i] = l.Number
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, num := range numbers {
		if want := fmt.Sprintf("/I/%06d", i+1); !strings.HasSuffix(num, want) {
			t.Fatalf("sorted numbers[%d] = %s, want …%s (gap or duplicate): %v", i, num, want, numbers)
		}
	}
	res, err := appliance.VerifyHistory(ctx, st.Reader())
	if err != nil || res.BadSeq != 0 {
		t.Fatalf("history verify: %+v %v", res, err)
	}
}

// uncompressSnapshot rewrites the latest raft snapshot of dir as versions
// before compression wrote it: the logical stream itself, with its size
// and CRC in meta.json.
func uncompressSnapshot(t *testing.T, dir string) {
	t.Helper()
	latest, err := damage.LatestSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(latest, "state.bin"))
	if err != nil {
		t.Fatal(err)
	}
	logical, err := cluster.LogicalSnapshot(state)
	if err != nil || bytes.Equal(logical, state) {
		t.Fatalf("the snapshot read back: %v (compressed: %v)", err, !bytes.Equal(logical, state))
	}
	metaFile := filepath.Join(latest, "meta.json")
	b, err := os.ReadFile(metaFile)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	h.Write(logical)
	meta["Size"], meta["CRC"] = len(logical), h.Sum(nil)
	if b, err = json.Marshal(meta); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metaFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(latest, "state.bin"), logical, 0o600); err != nil {
		t.Fatal(err)
	}
}

package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/config"
)

// tick runs one decision of the schedule and waits for the run it started.
func tick(t *testing.T, m *Manager) {
	t.Helper()
	m.scheduleOnce(context.Background(), 2, 30)
	apptest.Eventually(t, time.Minute, "the scheduled backup finished", func() bool { return !m.isRunning() })
}

func TestScheduleRunsDailyAndRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	dir := t.TempDir()
	pass := filepath.Join(dir, "phrase")
	os.WriteFile(pass, []byte(testKey.Passphrase+"\n"), 0o600)
	nas := filepath.Join(dir, "nas")
	os.MkdirAll(nas, 0o700)
	clock := apptest.NewClock(time.Time{})
	m := &Manager{Src: f.src, Rec: f.env.Svc, Now: clock.Now, workFactor: 10, Config: config.Backup{
		Schedule: "02:30", PassphraseFile: pass, KeepDaily: 7, Targets: []config.BackupTarget{{URL: "file://" + nas + "/missive"}}}}
	count := func(status string) int {
		runs, err := f.env.Store.Reader().BackupRuns(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range runs {
			if r.Status == status && r.Trigger == "schedule" {
				n++
			}
		}
		return n
	}
	// First start at 01:00: yesterday's 02:30 was missed, so it runs now.
	clock.Set(t, "2026-03-10T01:00")
	tick(t, m)
	if count(appliance.BackupOK) != 1 {
		t.Fatal("the missed backup did not run at start")
	}
	clock.Set(t, "2026-03-10T02:00")
	tick(t, m)
	if count(appliance.BackupOK) != 1 {
		t.Fatal("a backup ran again before its time")
	}
	clock.Set(t, "2026-03-10T02:31")
	tick(t, m)
	if count(appliance.BackupOK) != 2 {
		t.Fatal("today's backup did not run at 02:30")
	}
	clock.Set(t, "2026-03-10T08:00")
	tick(t, m)
	if count(appliance.BackupOK) != 2 {
		t.Fatal("today's backup ran twice")
	}
	// The NAS goes away: tomorrow's run fails, is retried an hour later,
	// three times in all.
	os.RemoveAll(nas)
	for i, at := range []string{"2026-03-11T02:31", "2026-03-11T02:50", "2026-03-11T03:40", "2026-03-11T04:50", "2026-03-11T06:00"} {
		clock.Set(t, at)
		tick(t, m)
		want := []int{1, 1, 2, 3, 3}[i]
		if n := count(appliance.BackupFailed); n != want {
			t.Fatalf("at %s: %d failed runs, want %d", at, n, want)
		}
	}
	// The NAS is back: the next day's run succeeds.
	os.MkdirAll(nas, 0o700)
	clock.Set(t, "2026-03-12T02:31")
	tick(t, m)
	if count(appliance.BackupOK) != 3 {
		t.Fatal("the run after the failures did not succeed")
	}
	// Not the leader: nothing runs. The schedule asks whether this node
	// leads before it looks at the time; once it asked, it is stopped: a
	// run it started anyway would be running or recorded by then.
	asked := make(chan struct{}, 1)
	m.Leader = func() bool {
		select {
		case asked <- struct{}{}:
		default:
		}
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	clock.Set(t, "2026-03-13T02:31")
	done := make(chan struct{})
	go func() { m.Schedule(ctx); close(done) }()
	select {
	case <-asked:
	case <-time.After(30 * time.Second):
		t.Fatal("the schedule never asked whether this node leads")
	}
	cancel()
	<-done
	if m.isRunning() || count(appliance.BackupOK) != 3 {
		t.Fatal("a follower ran the schedule")
	}
}

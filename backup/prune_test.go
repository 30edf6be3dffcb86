package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"missive/appliance/domain"
)

func TestRetentionKeep(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02T15:04", s, domain.Paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Two a day for the last days of February and March 2026.
	var ms []*Manifest
	for _, s := range []string{"2026-02-27T02:30", "2026-02-28T02:30", "2026-03-28T02:30", "2026-03-29T02:30",
		"2026-03-30T02:30", "2026-03-30T14:00", "2026-03-31T02:30", "2026-03-31T14:00"} {
		ms = append(ms, &Manifest{ID: s, Time: at(s)})
	}
	for _, c := range []struct {
		p    Retention
		want []string
	}{
		// The newest of each of the last two days.
		{Retention{Daily: 2}, []string{"2026-03-30T14:00", "2026-03-31T14:00"}},
		// The newest of this ISO week (30–31 March) and of the week before.
		{Retention{Weekly: 2}, []string{"2026-03-29T02:30", "2026-03-31T14:00"}},
		// The newest of March and of February.
		{Retention{Monthly: 2}, []string{"2026-02-28T02:30", "2026-03-31T14:00"}},
		{Retention{Daily: 1, Monthly: 3}, []string{"2026-02-28T02:30", "2026-03-31T14:00"}},
	} {
		keep := c.p.Keep(ms)
		var got []string
		for id := range keep {
			got = append(got, id)
		}
		sort.Strings(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v keeps %v, want %v", c.p, got, c.want)
		}
	}
}

// Prune forgets what the policy drops and deletes only packs no kept
// backup needs: the kept backup still verifies, data read, afterwards.
func TestPruneKeepsWhatKeptBackupsNeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 6)
	r, dir := fileRepo(t)
	for i := range 3 {
		if _, err := Run(ctx, r, f.src, Options{}); err != nil {
			t.Fatal(err)
		}
		f.addLetters(t, 3, uint64(10+i))
	}
	files := func() []string {
		var out []string
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		sort.Strings(out)
		return out
	}
	before := files()
	if _, err := Prune(ctx, r, Retention{}, false, Options{}); err == nil {
		t.Fatal("a policy keeping nothing was accepted")
	}
	res, err := Prune(ctx, r, Retention{Daily: 1}, true, Options{})
	if err != nil || len(res.Removed) != 2 || len(res.Kept) != 1 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if !slices.Equal(before, files()) {
		t.Fatal("a dry run changed the target")
	}
	res, err = Prune(ctx, r, Retention{Daily: 1}, false, Options{})
	if err != nil || len(res.Removed) != 2 {
		t.Fatalf("prune: %+v, %v", res, err)
	}
	ms, damaged, err := r.List(ctx)
	if err != nil || len(damaged) > 0 || len(ms) != 1 || ms[0].ID != res.Kept[0] {
		t.Fatalf("after prune: %d backups, damaged %v, %v", len(ms), damaged, err)
	}
	rep, err := Verify(ctx, r, VerifyOptions{ReadData: true}, Options{})
	if err != nil || len(rep.Damaged) > 0 {
		t.Fatalf("the kept backup no longer verifies: %v %+v", err, rep)
	}
	if ms[0].BlobCount != 12 {
		t.Fatalf("kept backup holds %d documents", ms[0].BlobCount)
	}
}

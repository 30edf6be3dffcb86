package store_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"missive/appliance/apptest"
	"missive/appliance/store"
)

// SnapshotMeta reads the applied index a snapshot was taken at from its
// first table, and refuses what is not a whole meta table of a snapshot.
func TestSnapshotMeta(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx := context.Background()
	var buf bytes.Buffer
	if err := env.Store.Dump(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	applied, err := env.Store.AppliedIndex(ctx)
	if err != nil || applied == 0 {
		t.Fatalf("applied index %d, %v", applied, err)
	}
	meta, err := store.SnapshotMeta(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := meta["applied_index"]; got != strconv.FormatUint(applied, 10) {
		t.Fatalf("applied_index %q in the snapshot's meta, want %d", got, applied)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	for name, stream := range map[string]string{
		"empty":          "",
		"not a snapshot": `{"format":"autre","version":1,"schema":1}` + "\n",
		"newer format":   strings.Replace(lines[0], `"version":1`, `"version":2`, 1) + strings.Join(lines[1:], ""),
		"header only":    lines[0],
		"meta truncated": lines[0] + lines[1] + lines[2],
		"other table":    lines[0] + `{"table":"tenants","columns":["id"]}` + "\n" + `{"end":true,"rows":0}` + "\n",
		"bad row":        lines[0] + lines[1] + `["applied_index"]` + "\n" + strings.Join(lines[3:], ""),
	} {
		if _, err := store.SnapshotMeta(strings.NewReader(stream)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

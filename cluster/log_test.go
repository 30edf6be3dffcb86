package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// The election of every start is logged as information; losing a known
// leader stays a warning.
func TestRaftStartElectionIsNotAWarning(t *testing.T) {
	var buf bytes.Buffer
	w := &slogWriter{slog.New(slog.NewTextHandler(&buf, nil))}
	w.Write([]byte("2026-11-24T00:50:39.373Z [WARN]  raft: heartbeat timeout reached, starting election: last-leader-addr= last-leader-id=\n"))
	w.Write([]byte("2026-11-24T00:50:39.373Z [WARN]  raft: heartbeat timeout reached, starting election: last-leader-addr=10.0.0.2:7000 last-leader-id=b\n"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "level=INFO") || !strings.Contains(lines[1], "level=WARN") {
		t.Fatalf("levels:\n%s", buf.String())
	}
}

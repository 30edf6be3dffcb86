// Package benchkit holds what the benchmarks of several packages share
// (`make bench`, `make bench-peers`); tests never use it.
package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// PerfRecord samples pid's stacks with perf into MISSIVE_BENCH_PERF.N, if
// set, until the returned function is called: the profile a benchmark
// leaves for a goal it misses.
func PerfRecord(t testing.TB, pid int) func() {
	t.Helper()
	out := os.Getenv("MISSIVE_BENCH_PERF")
	if out == "" {
		return func() {}
	}
	out = fmt.Sprintf("%s.%d", out, time.Now().UnixNano())
	cmd := exec.Command("perf", "record", "-g", "-F", "499", "-o", out, "-p", strconv.Itoa(pid))
	if err := cmd.Start(); err != nil {
		t.Fatalf("perf record: %v", err)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		t.Logf("profil perf: %s", out)
	}
}

// EnvInt reads a positive count from the environment variable name (a
// benchmark's size: messages, letters, rounds), def when unset.
func EnvInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: a positive number expected", name, v)
	}
	return n
}

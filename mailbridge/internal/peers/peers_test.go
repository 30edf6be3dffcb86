package peers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A peer whose port was taken between the choice and the bind comes up
// on another port instead of failing the test.
func TestOnFreePortRetries(t *testing.T) {
	tries := 0
	port := onFreePort(t, "fake", func(port int) (func() string, error) {
		tries++
		if tries < 3 {
			return func() string { return "bind: address already in use" }, errors.New("exited")
		}
		return func() string { return "" }, nil
	})
	if tries != 3 || port == 0 {
		t.Fatalf("tries=%d port=%d", tries, port)
	}
}

// When the test binary dies without its cleanups (a panic, a timeout),
// the watchdog kills the peer: no smtp-sink is left running.
func TestWatchdogKillsOrphanedPeer(t *testing.T) {
	if os.Getenv("PEERS_ORPHAN") == "1" {
		s := SMTPSink(t)
		fmt.Printf("sink %d\n", s.pid)
		// Die like a crashed test: no cleanup runs.
		os.Exit(3)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogKillsOrphanedPeer$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PEERS_ORPHAN=1")
	out, _ := cmd.CombinedOutput()
	var pid int
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "sink "); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		t.Fatalf("the child did not start the sink:\n%s", out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL)
			t.Fatalf("smtp-sink %d still runs after its test binary died", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive says whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

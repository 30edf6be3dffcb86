// Package litmustest runs Debian's litmus, the WebDAV conformance suite,
// for the share's tests and the binary's.
package litmustest

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// litmusGroups are the suites of Debian's litmus 0.13 that must pass.
var litmusGroups = []string{"basic", "copymove", "props", "locks", "http"}

var litmusSummary = regexp.MustCompile("<- summary for `(\\w+)': of (\\d+) tests run: (\\d+) passed, (\\d+) failed")

// Run runs the WebDAV conformance suite against url and fails the
// test unless every group ran with no failure. A missing litmus is a
// failure, not a skip: the share is only known to work against it.
func Run(t *testing.T, url, login, password string) {
	t.Helper()
	bin, err := exec.LookPath("litmus")
	if err != nil {
		t.Fatalf("litmus is not installed (apt-get install litmus; make deps installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, url, login, password)
	cmd.Dir = t.TempDir()
	out, _ := cmd.CombinedOutput()
	seen := map[string]bool{}
	for _, m := range litmusSummary.FindAllStringSubmatch(string(out), -1) {
		run, _ := strconv.Atoi(m[2])
		failed, _ := strconv.Atoi(m[4])
		seen[m[1]] = true
		if failed != 0 || run == 0 {
			t.Errorf("litmus %s on %s: %s", m[1], url, m[0])
		}
	}
	for _, g := range litmusGroups {
		if !seen[g] {
			t.Errorf("litmus group %s did not run on %s", g, url)
		}
	}
	if t.Failed() {
		t.Logf("litmus output:\n%s", out)
	}
}

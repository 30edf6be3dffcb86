package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Both tests run systemd's own analyser on the unit as shipped. They need
// systemd-analyze (Debian package systemd); no systemd needs to be running.

func analyzer(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze introuvable: installez le paquet Debian « systemd » (voir scripts/deps, lancé par make test)")
	}
	return p
}

// TestUnitVerifies runs systemd-analyze verify in a scratch root holding the
// host's unit tree and an executable at ExecStart's path, so the unit file
// is checked exactly as shipped, and wants no complaint at all.
func TestUnitVerifies(t *testing.T) {
	t.Parallel()
	bin := analyzer(t)
	root := t.TempDir()
	exe := execPath(t)
	mustWrite(t, filepath.Join(root, exe), "#!/bin/sh\n", 0o755)
	mustWrite(t, filepath.Join(root, "etc/systemd/system/missive.service"), Unit, 0o644)
	if err := os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		if _, err := os.Stat(filepath.Join(dir, "sysinit.target")); err == nil {
			if out, err := exec.Command("cp", "-r", dir, filepath.Join(root, "usr/lib/systemd/")).CombinedOutput(); err != nil {
				t.Fatalf("copy %s: %v\n%s", dir, err, out)
			}
			break
		}
	}
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "verify", "--root="+root, "/etc/systemd/system/missive.service").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestUnitExposure wants systemd's offline security score at 2.0 or below
// ("OK"), and the few settings the README promises.
func TestUnitExposure(t *testing.T) {
	t.Parallel()
	bin := analyzer(t)
	path := filepath.Join(t.TempDir(), "missive.service")
	mustWrite(t, path, Unit, 0o644)
	out, err := exec.Command(bin, "security", "--offline=yes", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for missive\.service: ([0-9.]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	if score > 2.0 {
		t.Fatalf("exposure %.1f > 2.0:\n%s", score, out)
	}
	for _, want := range []string{
		"Type=notify", "WatchdogSec=", "Restart=on-failure", "User=missive",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE\n", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"ReadWritePaths=/var/lib/missive\n", "SystemCallFilter=@system-service\n",
	} {
		if !strings.Contains(Unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

func execPath(t *testing.T) string {
	m := regexp.MustCompile(`(?m)^ExecStart=(\S+)`).FindStringSubmatch(Unit)
	if m == nil {
		t.Fatal("no ExecStart in the unit")
	}
	return m[1]
}

func mustWrite(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

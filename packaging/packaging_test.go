// Package packaging holds the .deb/.rpm definition (nfpm.yaml), the
// maintainer scripts and mkpkg, the program behind `make deb` and
// `make rpm`. Its tests build the packages, run lintian, and install,
// upgrade and purge the .deb on this machine with dpkg.
package packaging

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s introuvable: installez le paquet Debian %q (voir scripts/deps, lancé par make test)", tool, pkg)
	}
	return p
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var (
	// makeMu serialises `make deb|rpm`: both rebuild bin/missive.
	makeMu sync.Mutex
	// built caches packages across tests: each build links a new binary.
	built    = map[string]string{}
	distDir  string
	distOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if distDir != "" {
		os.RemoveAll(distDir)
	}
	os.Exit(code)
}

// makePackage runs `make FORMAT VERSION=version DIST=…` once and returns
// the package's path, as make printed it.
func makePackage(t *testing.T, format, version string) string {
	t.Helper()
	makeMu.Lock()
	defer makeMu.Unlock()
	if p, ok := built[format+" "+version]; ok {
		return p
	}
	need(t, "make", "make")
	distOnce.Do(func() { distDir, _ = os.MkdirTemp("", "missive-dist-") })
	out := run(t, root(t), nil, "make", "--no-print-directory", format, "VERSION="+version, "DIST="+distDir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	p := lines[len(lines)-1]
	built[format+" "+version] = p
	return p
}

func debArch() string {
	if runtime.GOARCH == "386" {
		return "i386"
	}
	return runtime.GOARCH
}

// TestDebLintian builds the .deb where the contract says and wants no
// lintian error.
func TestDebLintian(t *testing.T) {
	t.Parallel()
	lintian := need(t, "lintian", "lintian")
	deb := makePackage(t, "deb", "1.0.0")
	if want := filepath.Join(distDir, "missive_1.0.0_"+debArch()+".deb"); deb != want {
		t.Fatalf("make deb wrote %s, want %s", deb, want)
	}
	cmd := exec.Command(lintian, "--no-cfg", "--fail-on", "error", deb)
	out, err := cmd.CombinedOutput()
	if err != nil || regexp.MustCompile(`(?m)^E: `).Match(out) {
		t.Fatalf("lintian: %v\n%s", err, out)
	}
	t.Logf("lintian:\n%s", out)
}

// TestRPM builds the .rpm and looks into its header (no rpm tool on
// Debian): the RPM lead, the unit in the RHEL path, the maintainer scripts.
func TestRPM(t *testing.T) {
	t.Parallel()
	rpm := makePackage(t, "rpm", "1.0.0")
	if !strings.HasPrefix(filepath.Base(rpm), "missive-1.0.0-1.") || !strings.HasSuffix(rpm, ".rpm") {
		t.Fatalf("make rpm wrote %s", rpm)
	}
	b, err := os.ReadFile(rpm)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0xed, 0xab, 0xee, 0xdb}) || len(b) < 1<<20 {
		t.Fatalf("%s is not an RPM with a payload (%d bytes)", rpm, len(b))
	}
	for _, want := range []string{"/usr/lib/systemd/system/", "missive.service", "/etc/missive/", "useradd --system"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("rpm header lacks %q", want)
		}
	}
}

// TestDebInstallUpgradePurge installs the .deb with dpkg on this machine,
// as root, sets Missive up with quickstart, upgrades to a newer .deb and
// purges it. No systemd runs here (nor in CI), so the maintainer scripts'
// systemctl calls are skipped and the service is not started: the test
// covers the files, the account, the permissions, the configuration kept
// across an upgrade, the data kept across an upgrade and a purge, and the
// new binary serving the old data as the missive account.
func TestDebInstallUpgradePurge(t *testing.T) {
	t.Parallel()
	need(t, "dpkg", "dpkg")
	if os.Geteuid() != 0 {
		t.Fatal("ce test installe le paquet avec dpkg -i: lancez les tests en root (CI le fait)")
	}
	for _, p := range []string{"/etc/missive", "/var/lib/missive", "/usr/bin/missive"} {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s existe déjà: ce test installe puis purge le paquet missive et refuse de toucher une installation existante", p)
		}
	}
	dir := t.TempDir()
	v1 := makePackage(t, "deb", "1.0.0")
	v2 := makePackage(t, "deb", "1.0.1")
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "missive").Run()
		os.RemoveAll("/var/lib/missive")
		os.RemoveAll("/etc/missive")
		exec.Command("userdel", "missive").Run()
	})

	run(t, dir, nil, "dpkg", "-i", v1)
	if out := run(t, dir, nil, "/usr/bin/missive", "version"); !strings.Contains(out, "1.0.0") {
		t.Fatalf("installed binary: %s", out)
	}
	if out := run(t, dir, nil, "id", "missive"); !strings.Contains(out, "(missive)") {
		t.Fatalf("no missive account: %s", out)
	}
	wantOwner(t, "/var/lib/missive", "missive", "missive", 0o750)
	wantOwner(t, "/etc/missive/missive.toml", "root", "missive", 0o640)
	if _, err := os.Stat("/lib/systemd/system/missive.service"); err != nil {
		t.Fatal(err)
	}
	if out := run(t, dir, nil, "dpkg-query", "-W", "-f=${Conffiles}", "missive"); !strings.Contains(out, "/etc/missive/missive.toml") {
		t.Fatalf("the configuration is not a conffile: %q", out)
	}

	// quickstart replaces the packaged configuration (no systemd here:
	// --no-service), then the data is given to the account as the service
	// install would.
	run(t, dir, nil, "/usr/bin/missive", "quickstart", "--hostname", "courrier.test", "--tls", "internal", "--no-service",
		"--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--tenant-name", "Commune de test")
	run(t, dir, nil, "chown", "-R", "missive:missive", "/var/lib/missive")
	conf, err := os.ReadFile("/etc/missive/missive.toml")
	if err != nil || !strings.Contains(string(conf), `hostname = "courrier.test"`) {
		t.Fatalf("quickstart did not write the configuration: %v\n%s", err, conf)
	}
	db, err := os.ReadFile("/var/lib/missive/missive.db")
	if err != nil {
		t.Fatal(err)
	}

	run(t, dir, []string{"DEBIAN_FRONTEND=noninteractive"}, "dpkg", "-i", "--force-confold", v2)
	if out := run(t, dir, nil, "/usr/bin/missive", "version"); !strings.Contains(out, "1.0.1") {
		t.Fatalf("upgraded binary: %s", out)
	}
	if after, _ := os.ReadFile("/etc/missive/missive.toml"); !bytes.Equal(after, conf) {
		t.Fatal("the upgrade changed the configuration")
	}
	if after, _ := os.ReadFile("/var/lib/missive/missive.db"); !bytes.Equal(after, db) {
		t.Fatal("the upgrade touched the data")
	}
	wantOwner(t, "/etc/missive/missive.toml", "root", "missive", 0o640)

	// The new binary serves the old data as the missive account, after its
	// pre-upgrade snapshot.
	serveAsMissive(t)
	snaps, _ := filepath.Glob("/var/lib/missive/snapshots/pre-upgrade-*-1.0.0-vers-1.0.1.db")
	if len(snaps) != 1 {
		t.Fatalf("pre-upgrade snapshots: %v", snaps)
	}

	run(t, dir, nil, "dpkg", "--purge", "missive")
	if _, err := os.Stat("/usr/bin/missive"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("purge left the binary")
	}
	if _, err := os.Stat("/var/lib/missive/missive.db"); err != nil {
		t.Fatalf("purge removed the town's data: %v", err)
	}
}

func serveAsMissive(t *testing.T) {
	t.Helper()
	cmd := exec.Command("/usr/bin/missive", "serve", "--config", "/etc/missive/missive.toml")
	uid, gid := account(t, "missive")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{gid}}}
	var out bytes.Buffer
	var mu sync.Mutex
	ready := make(chan struct{})
	cmd.Stdout = writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		out.Write(p)
		if bytes.Contains(out.Bytes(), []byte("Missive est prêt: https://courrier.test:")) {
			select {
			case <-ready:
			default:
				close(ready)
			}
		}
		return len(p), nil
	})
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("serve as missive exited: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve as missive not ready\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Fatalf("serve as missive on SIGTERM: %v\n%s", err, stderr.String())
	}
}

func account(t *testing.T, name string) (uint32, uint32) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return uint32(uid), uint32(gid)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func wantOwner(t *testing.T, path, user, group string, mode os.FileMode) {
	t.Helper()
	got := strings.TrimSpace(run(t, "/", nil, "stat", "-c", "%U %G %a", path))
	if want := user + " " + group + " " + strconv.FormatUint(uint64(mode.Perm()), 8); got != want {
		t.Fatalf("%s: %s, want %s", path, got, want)
	}
}

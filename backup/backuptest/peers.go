// Package backuptest starts the real servers backups are tested against:
// rclone's WebDAV server (a town's Nextcloud) and OpenSSH's sshd with its
// SFTP subsystem (an off-site server), each on a loopback port from :0 in
// a temp dir. A missing peer fails the test; it never skips it.
package backuptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// WebDAV is a running `rclone serve webdav`.
type WebDAV struct {
	// URL is the target address: webdav+http://USER@127.0.0.1:PORT/
	URL      string
	Password string
	// Dir is the served folder.
	Dir string
}

// StartWebDAV serves a temp dir over WebDAV with basic authentication.
func StartWebDAV(t testing.TB) *WebDAV {
	t.Helper()
	bin, err := exec.LookPath("rclone")
	if err != nil {
		t.Fatalf("rclone introuvable (apt-get install rclone): %v", err)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	w := &WebDAV{URL: "webdav+http://sauvegarde@" + addr + "/", Password: "mot-de-passe-webdav", Dir: dir}
	cmd := exec.Command(bin, "serve", "webdav", dir, "--addr", addr, "--user", "sauvegarde", "--pass", w.Password,
		"--config", filepath.Join(t.TempDir(), "rclone.conf"))
	start(t, cmd, addr)
	return w
}

// SSH is a running sshd.
type SSH struct {
	// URL is the target address: sftp://USER@127.0.0.1:PORT/DIR
	URL        string
	KeyFile    string // the user's private key
	KnownHosts string // holds the server's host key
	Dir        string // the folder the URL names
	Addr       string
}

// StartSSH runs sshd on a loopback port with its own configuration, a host
// key and a user key of its own.
func StartSSH(t testing.TB) *SSH {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if sshd, err = exec.LookPath("/usr/sbin/sshd"); err != nil {
			t.Fatalf("sshd introuvable (apt-get install openssh-server): %v", err)
		}
	}
	dir := t.TempDir()
	for _, k := range []string{"hostkey", "userkey"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "userkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf(`Port %s
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
`, port, host, filepath.Join(dir, "hostkey"), filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"))
	cf := filepath.Join(dir, "sshd_config")
	os.WriteFile(cf, []byte(conf), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	hostPub, err := os.ReadFile(filepath.Join(dir, "hostkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(hostPub))
	known := filepath.Join(dir, "known_hosts")
	os.WriteFile(known, []byte(fmt.Sprintf("[%s]:%s %s %s\n", host, port, fields[0], fields[1])), 0o600)
	cmd := exec.Command(sshd, "-D", "-e", "-f", cf)
	start(t, cmd, addr)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	files := filepath.Join(t.TempDir(), "sauvegardes")
	os.MkdirAll(files, 0o700)
	return &SSH{URL: "sftp://" + me.Username + "@" + addr + files + "/missive", KeyFile: filepath.Join(dir, "userkey"),
		KnownHosts: known, Dir: filepath.Join(files, "missive"), Addr: addr}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs a server until the test ends and waits for its port.
func start(t testing.TB, cmd *exec.Cmd, addr string) {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("%s exited: %s", cmd.Path, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s: %s", cmd.Path, addr, out.String())
}

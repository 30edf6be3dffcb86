// Package peers starts the real mail servers the mail bridge is tested
// against (Dovecot, Cyrus IMAP, Postfix's smtp-sink) and drives the real
// client (swaks), each in a temp dir on a loopback port, stopped at the end
// of the test. A missing peer fails the test with the package to install:
// the tests never skip.
package peers

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// need fails the test when a program is missing.
func need(t testing.TB, path, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		t.Fatalf("%s introuvable: installez le paquet Debian %s (voir scripts/deps, lancé par make test)", path, pkg)
	}
	return p
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// sharedDir makes a temp dir that system users (dovenull, cyrus, postfix)
// can traverse; t.TempDir's are private to root.
func sharedDir(t testing.TB, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func chown(t testing.TB, owner, group string, paths ...string) {
	t.Helper()
	u, err := user.Lookup(owner)
	if err != nil {
		t.Fatalf("utilisateur système %s absent: %v", owner, err)
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		t.Fatalf("groupe système %s absent: %v", group, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	for _, p := range paths {
		err := filepath.Walk(p, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, uid, gid)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitGreeting waits until addr answers with a line starting with prefix,
// or the server's process ends (a port taken meanwhile, a bad config).
func waitGreeting(addr, prefix string, exited <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(3 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, prefix) {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("%s: le serveur s'est arrêté avant de répondre", addr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s ne répond pas (%v)", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// portAttempts bounds the tries of onFreePort: a port is free when it is
// chosen and may be taken by another test before the peer binds it.
const portAttempts = 5

// onFreePort starts a peer with start on a free loopback port, and again on
// another one when it did not come up (the port was taken meanwhile). start
// returns the peer's log, for the failure message.
func onFreePort(t testing.TB, name string, start func(port int) (log func() string, err error)) int {
	t.Helper()
	var errs []string
	for range portAttempts {
		port := FreePort(t)
		logf, err := start(port)
		if err == nil {
			return port
		}
		errs = append(errs, fmt.Sprintf("port %d: %v\n%s", port, err, logf()))
	}
	t.Fatalf("%s n'a pas démarré en %d essais:\n%s", name, portAttempts, strings.Join(errs, "\n"))
	return 0
}

// peer is a server process started by process.
type peer struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process ended
	out    *os.File
	stop   func()
}

// process runs a server in the foreground, in its own process group, and
// kills the whole group at cleanup: servers fork workers that would
// otherwise outlive the test. A watchdog kills the group too when the
// test binary dies without cleaning up (a panic, go test's timeout, ^C):
// otherwise every crashed mail test left Dovecot or smtp-sink running.
// onExit, when set, is a shell command the watchdog runs first (for a
// master that leaves the group, as Postfix's does).
func process(t testing.TB, name string, args ...string) *peer {
	t.Helper()
	return processWith(t, "", name, args...)
}

func processWith(t testing.TB, onExit, name string, args ...string) *peer {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.CreateTemp("", "peer-*.log")
	if err != nil {
		t.Fatal(err)
	}
	// A file, not a pipe: Wait must not wait for workers holding it open.
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &peer{cmd: cmd, exited: make(chan struct{}), out: out}
	go func() { cmd.Wait(); close(p.exited) }()
	lifeline := watchdog(t, cmd.Process.Pid, onExit)
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
			if lifeline != nil {
				lifeline.Close()
			}
			out.Close()
			os.Remove(out.Name())
		})
	}
	t.Cleanup(p.stop)
	return p
}

// log is what the process wrote to stdout and stderr so far.
func (p *peer) log() string {
	b, _ := os.ReadFile(p.out.Name())
	return string(b)
}

// watchdog starts a shell in its own session that blocks reading a pipe
// whose only writer is this process; when the test binary dies, the pipe
// closes and the shell kills the peer's process group. A clean stop
// closes the pipe after the kill, so the shell finds nothing left to do.
func watchdog(t testing.TB, pgid int, onExit string) *os.File {
	t.Helper()
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	script := `read _; ` + onExit + `; kill -9 -"$0" 2>/dev/null`
	if onExit == "" {
		script = `read _; kill -9 -"$0" 2>/dev/null`
	}
	cmd := exec.Command("/bin/sh", "-c", script, strconv.Itoa(pgid))
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("peer watchdog: %v", err)
	}
	go cmd.Wait()
	return w
}

// Sink is Postfix's smtp-sink keeping every message it receives as a file:
// the town's relay.
type Sink struct {
	Addr string
	Dir  string
	pid  int
}

// SMTPSink starts smtp-sink on a loopback port. extra are smtp-sink
// options, e.g. "-r", "DATA" to answer DATA with a soft (4xx) error, "-f",
// "RCPT" with a hard (5xx) one.
func SMTPSink(t testing.TB, extra ...string) *Sink {
	t.Helper()
	bin := need(t, "smtp-sink", "postfix")
	d := sharedDir(t, "sink-")
	chown(t, "postfix", "postfix", d)
	s := &Sink{Dir: d}
	// -u drops privileges; -d keeps each message as DIR/<queue id>; -c
	// counts; 100 is the listen backlog.
	args := append([]string{"-u", "postfix", "-d", filepath.Join(d, "%M.")}, extra...)
	onFreePort(t, "smtp-sink", func(port int) (func() string, error) {
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p := process(t, bin, append(args, s.Addr, "100")...)
		s.pid = p.cmd.Process.Pid
		err := waitGreeting(s.Addr, "220", p.exited)
		if err != nil {
			p.stop()
		}
		return p.log, err
	})
	return s
}

// Messages returns every message the sink kept.
func (s *Sink) Messages(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	filepath.Walk(s.Dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			out = append(out, b)
		}
		return nil
	})
	return out
}

// Swaks runs swaks (a citizen's mail client) against server and returns
// its transcript and exit status (0 when the message was accepted).
func Swaks(t testing.TB, server string, args ...string) (string, int) {
	t.Helper()
	bin := need(t, "swaks", "swaks")
	cmd := exec.Command(bin, append([]string{"--server", server, "--timeout", "60"}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("swaks: %v", err)
	}
	return string(out), code
}

// Postfix is a real Postfix accepting mail for ville.test into its queue,
// where it stays (local delivery deferred): the yardstick of the intake
// benchmark, a server that answers 250 once the message is safe on disk.
type Postfix struct {
	Addr  string
	queue string
}

// postfixMainCf is StartPostfix's main.cf (queue and data directories):
// mail for ville.test is accepted and stays in the queue, local delivery
// deferred, with no limit on a benchmark's connections.
const postfixMainCf = `compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.test
mydestination = ville.test
local_recipient_maps =
alias_maps =
alias_database =
defer_transports = local
mynetworks = 127.0.0.0/8
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
maillog_file = /dev/stdout
`

// postfixMasterCf is StartPostfix's master.cf (smtpd's port), with no
// chroot: the queue is a temp dir without the files a chroot needs.
const postfixMasterCf = `127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
`

// StartPostfix runs Postfix 3 in the foreground (postfix start-fg) from its
// own configuration directory, queue and loopback port.
func StartPostfix(t testing.TB) *Postfix {
	t.Helper()
	bin := need(t, "postfix", "postfix")
	d := sharedDir(t, "postfix-")
	conf, queue, data := filepath.Join(d, "conf"), filepath.Join(d, "queue"), filepath.Join(d, "data")
	for _, p := range []string{conf, queue, data} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	chown(t, "postfix", "postfix", data)
	mainCf := fmt.Sprintf(postfixMainCf, queue, data)
	if err := os.WriteFile(filepath.Join(conf, "main.cf"), []byte(mainCf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &Postfix{queue: queue}
	onFreePort(t, "postfix", func(port int) (func() string, error) {
		masterCf := fmt.Sprintf(postfixMasterCf, port)
		if err := os.WriteFile(filepath.Join(conf, "master.cf"), []byte(masterCf), 0o644); err != nil {
			t.Fatal(err)
		}
		// check makes the queue's subdirectories with their owners.
		if out, err := exec.Command(bin, "-c", conf, "check").CombinedOutput(); err != nil {
			t.Fatalf("postfix check: %v\n%s", err, out)
		}
		p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		// The master makes itself a session leader, out of the process
		// group that process kills: abort stops it by its pid file, at
		// cleanup (cleanups run last registered first) and from the
		// watchdog if the test binary dies.
		abort := bin + " -c " + conf + " abort >/dev/null 2>&1"
		pr := processWith(t, abort, bin, "-c", conf, "start-fg")
		t.Cleanup(func() { exec.Command(bin, "-c", conf, "abort").Run() })
		err := waitGreeting(p.Addr, "220", pr.exited)
		if err != nil {
			exec.Command(bin, "-c", conf, "abort").Run()
			pr.stop()
		}
		return pr.log, err
	})
	return p
}

// Queued counts the messages in Postfix's queue.
func (p *Postfix) Queued(t testing.TB) int {
	t.Helper()
	n := 0
	for _, q := range []string{"incoming", "active", "deferred", "hold"} {
		filepath.Walk(filepath.Join(p.queue, q), func(_ string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				n++
			}
			return nil
		})
	}
	return n
}

// PID is smtp-sink's process id, for benchmarks that read its CPU time.
func (s *Sink) PID() int { return s.pid }

// MasterPID is the pid of Postfix's master process, read from its pid
// file: every Postfix process of this instance is in its session.
func (p *Postfix) MasterPID(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.queue, "pid", "master.pid"))
	if err != nil {
		t.Fatalf("Postfix master pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("Postfix master pid %q: %v", b, err)
	}
	return pid
}

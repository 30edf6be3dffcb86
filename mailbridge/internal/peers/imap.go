package peers

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAP is a running IMAP server with test accounts.
type IMAP struct {
	Name string
	Host string
	Port int
	dir  string
	log  string
	// admin creates mailboxes (Cyrus); nil when accounts need no setup.
	addUser func(t testing.TB, name, password string)
}

func (s *IMAP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func (s *IMAP) logText() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// AddUser creates an account with an empty INBOX.
func (s *IMAP) AddUser(t testing.TB, name, password string) {
	t.Helper()
	s.addUser(t, name, password)
}

// Dovecot starts Dovecot 2.3 (IDLE, MOVE, UIDPLUS) with passwd-file
// accounts.
func Dovecot(t testing.TB) *IMAP {
	t.Helper()
	bin := need(t, "dovecot", "dovecot-imapd")
	d := sharedDir(t, "dovecot-")
	for _, sub := range []string{"home", "run", "state"} {
		os.MkdirAll(filepath.Join(d, sub), 0o755)
	}
	chown(t, "dovenull", "dovenull", filepath.Join(d, "home"))
	users := filepath.Join(d, "users")
	os.WriteFile(users, nil, 0o644)
	s := &IMAP{Name: "dovecot", Host: "127.0.0.1", dir: d, log: filepath.Join(d, "dovecot.log")}
	s.Port = onFreePort(t, "dovecot", func(port int) (func() string, error) {
		conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=%[1]s/home/%%u
}
first_valid_uid = 100
mail_location = maildir:~/Maildir
protocol imap {
  mail_max_userip_connections = 1000
}
service imap-login {
  inet_listener imap {
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
  # One long-lived login process: tests log in many times a second, and
  # a process per login makes Dovecot throttle.
  service_count = 0
  process_min_avail = 1
}
service imap {
  service_count = 1000
  process_min_avail = 2
}
`, d, port)
		cf := filepath.Join(d, "dovecot.conf")
		if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		p := process(t, bin, "-F", "-c", cf)
		err := waitGreeting(net.JoinHostPort(s.Host, strconv.Itoa(port)), "* OK", p.exited)
		if err != nil {
			p.stop()
		}
		return func() string { return s.logText() + p.log() }, err
	})
	var mu sync.Mutex
	s.addUser = func(t testing.TB, name, password string) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(users, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "%s:{PLAIN}%s\n", name, password)
		f.Close()
	}
	return s
}

// CyrusBin is where Debian's cyrus-imapd puts imapd. cyrus-imapd conflicts
// with dovecot-imapd in apt; CI unpacks it with dpkg-deb -x (see scripts/deps).
const CyrusBin = "/usr/lib/cyrus/bin"

// Cyrus starts Cyrus IMAP 3.6 (the base of BlueMind up to v4). Any password
// is accepted (sasl_pwcheck_method: alwaystrue); accounts are made by the
// admin "cyrus".
func Cyrus(t testing.TB) *IMAP {
	t.Helper()
	for _, b := range []string{"master", "imapd", "ctl_cyrusdb"} {
		if _, err := os.Stat(filepath.Join(CyrusBin, b)); err != nil {
			t.Fatalf("%s/%s introuvable: installez cyrus-common et cyrus-imapd (voir scripts/deps, lancé par make test)", CyrusBin, b)
		}
	}
	d := sharedDir(t, "cyrus-")
	for _, sub := range []string{"conf", "part", "sieve", "socket", "log"} {
		os.MkdirAll(filepath.Join(d, sub), 0o755)
	}
	imapd := fmt.Sprintf(`configdirectory: %[1]s/conf
partition-default: %[1]s/part
sievedir: %[1]s/sieve
lmtpsocket: %[1]s/socket/lmtp
idlesocket: %[1]s/socket/idle
notifysocket: %[1]s/socket/notify
admins: cyrus
sasl_pwcheck_method: alwaystrue
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
unixhierarchysep: yes
altnamespace: yes
syslog_prefix: cyrus-test
`, d)
	os.WriteFile(filepath.Join(d, "imapd.conf"), []byte(imapd), 0o644)
	s := &IMAP{Name: "cyrus", Host: "127.0.0.1", dir: d, log: filepath.Join(d, "master.log")}
	s.Port = onFreePort(t, "cyrus", func(port int) (func() string, error) {
		conf := fmt.Sprintf(`START {
  recover cmd="%[2]s/ctl_cyrusdb -r -C %[1]s/imapd.conf"
}
SERVICES {
  imap cmd="%[2]s/imapd -C %[1]s/imapd.conf" listen="127.0.0.1:%[3]d" prefork=0
}
EVENTS {
}
`, d, CyrusBin, port)
		os.WriteFile(filepath.Join(d, "cyrus.conf"), []byte(conf), 0o644)
		chown(t, "cyrus", "mail", d)
		p := process(t, filepath.Join(CyrusBin, "master"), "-C", filepath.Join(d, "imapd.conf"), "-M", filepath.Join(d, "cyrus.conf"),
			"-p", filepath.Join(d, "master.pid"), "-L", s.log)
		err := waitGreeting(net.JoinHostPort(s.Host, strconv.Itoa(port)), "* OK", p.exited)
		if err != nil {
			p.stop()
		}
		return func() string { return s.logText() + p.log() }, err
	})
	s.addUser = func(t testing.TB, name, _ string) {
		c := s.Dial(t, "cyrus", "x")
		defer c.Close()
		if err := c.Create("user/"+name, nil).Wait(); err != nil {
			t.Fatalf("cyrus: CREATE user/%s: %v", name, err)
		}
	}
	return s
}

// Dial logs in to the server as user.
func (s *IMAP) Dial(t testing.TB, user, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatalf("%s: connect: %v", s.Name, err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		t.Fatalf("%s: login %s: %v\n%s", s.Name, user, err, s.logText())
	}
	return c
}

// Append puts a message in a folder of user's.
func (s *IMAP) Append(t testing.TB, user, password, folder string, raw []byte) {
	t.Helper()
	c := s.Dial(t, user, password)
	defer c.Close()
	defer func() { c.Logout().Wait() }()
	raw = crlf(raw)
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("%s: APPEND to %s: %v", s.Name, folder, err)
	}
}

// AppendMany puts messages in a folder over one connection (a preload of
// thousands for a benchmark).
func (s *IMAP) AppendMany(t testing.TB, user, password, folder string, raws [][]byte) {
	t.Helper()
	c := s.Dial(t, user, password)
	defer c.Close()
	defer func() { c.Logout().Wait() }()
	for i, raw := range raws {
		raw = crlf(raw)
		cmd := c.Append(folder, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("%s: APPEND %d to %s: %v", s.Name, i, folder, err)
		}
	}
}

// Count is the number of messages in a folder (-1 when it does not exist).
func (s *IMAP) Count(t testing.TB, user, password, folder string) int {
	t.Helper()
	c := s.Dial(t, user, password)
	defer c.Close()
	defer func() { c.Logout().Wait() }()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return -1
	}
	return int(*st.NumMessages)
}

// crlf turns bare LF line ends into CRLF, as IMAP requires.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

package mailbridge

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/mailbridge/internal/peers"
)

// clusterLeader is the leader's id as the node of data sees it, "" for
// none (or no answer).
func clusterLeader(bin, data string) (self, leader string) {
	out, err := exec.Command(bin, "cluster", "status", "--data", data, "--json").Output()
	if err != nil {
		return "", ""
	}
	var st struct {
		Self, Leader string
		Nodes        []struct{ Voter bool }
	}
	if json.Unmarshal(out, &st) != nil {
		return "", ""
	}
	voters := 0
	for _, n := range st.Nodes {
		if n.Voter {
			voters++
		}
	}
	if voters < 3 {
		return st.Self, ""
	}
	return st.Self, st.Leader
}

// Effects run on the leader and resume on the next one: three nodes, the
// relay slow to answer the end of a message; the leader is killed while it
// waits for that answer. The new leader sends the acknowledgement again,
// with the same Message-ID: the relay holds it at most twice, never zero
// times (DESIGN.md). Its IMAP poller takes in what arrives in the mailbox
// after the kill.
func TestClusterEffectsResumeOnTheNewLeader(t *testing.T) {
	t.Parallel()
	bin := missiveBinary(t)
	// Every end of message is answered after 3 s: the window the kill
	// falls in.
	sink := peers.SMTPSink(t, "-W", ".:3")
	dv := peers.Dovecot(t)
	dv.AddUser(t, "mairie", "secret")

	var dirs, ports []string
	for range 3 {
		dirs = append(dirs, filepath.Join(t.TempDir(), "data"))
		ports = append(ports, fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t)))
	}
	servers := make([]*server, 3)
	servers[0] = startServerArgs(t, bin, dirs[0], "--cluster-listen", ports[0])
	for i := 1; i < 3; i++ {
		tok := strings.TrimSpace(cli(t, bin, "", "cluster", "token", "--data", dirs[0]))
		tok = tok[strings.LastIndex(tok, "\n")+1:]
		servers[i] = startServerArgs(t, bin, dirs[i], "--cluster-listen", ports[i], "--join", ports[0], "--token", tok)
	}
	ids := map[string]int{}
	var leader string
	waitFor(t, "three voters and a leader", 60*time.Second, func() bool {
		for i, d := range dirs {
			self, l := clusterLeader(bin, d)
			ids[self] = i
			if i == 0 {
				leader = l
			}
		}
		return leader != "" && len(ids) == 3
	})
	first := ids[leader]
	data := dirs[first]
	cli(t, bin, "", "mail", "address", "add", "--data", data, "--tenant", "default", "mairie@ville.test")
	sinkHost, sinkPort := splitHostPort(t, sink.Addr)
	cli(t, bin, "", "mail", "relay", "set", "--data", data, "--tenant", "default", "--host", sinkHost, "--port", strconv.Itoa(sinkPort), "--from", "mairie@ville.test")
	dvHost, dvPort := splitHostPort(t, dv.Addr())
	cli(t, bin, "secret\n", "mail", "mailbox", "add", "--data", data, "--tenant", "default", "--host", dvHost, "--port", strconv.Itoa(dvPort),
		"--plain", "--user", "mairie", "--password-stdin", "--folder", "INBOX", "--done", "Traités")

	ackCopies := func() map[string]int {
		out := map[string]int{}
		for _, raw := range sink.Messages(t) {
			if m := Parse(raw); strings.HasPrefix(m.MessageID, "ack.") {
				out[m.MessageID]++
			}
		}
		return out
	}
	if err := sendSMTP(servers[first].smtpAddr, 1); err != nil {
		t.Fatalf("SMTP to the leader: %v", err)
	}
	waitFor(t, "the acknowledgement on the wire", 30*time.Second, func() bool { return len(ackCopies()) == 1 })
	servers[first].kill9(t)
	var survivor string
	waitFor(t, "a new leader", 60*time.Second, func() bool {
		for i, d := range dirs {
			if i == first {
				continue
			}
			if _, l := clusterLeader(bin, d); l != "" && l != leader {
				survivor = d
				return true
			}
		}
		return false
	})
	var id string
	waitFor(t, "the acknowledgement sent again by the new leader", 60*time.Second, func() bool {
		for mid, n := range ackCopies() {
			id = mid
			return n == 2
		}
		return false
	})
	// IMAP: one poller, on the new leader.
	dv.Append(t, "mairie", "secret", "INBOX", loadMail("imap", 1))
	waitFor(t, "the mailbox taken in by the new leader", 60*time.Second, func() bool {
		return dv.Count(t, "mairie", "secret", "INBOX") == 0 && len(ackCopies()) == 2
	})
	got := ackCopies()
	if len(got) != 2 || got[id] != 2 {
		t.Fatalf("relay holds %v: want the acknowledgement of the kill twice (same Message-ID) and the next one once", got)
	}
	t.Logf("new leader's data dir %s; relay: %v", survivor, got)
}

// leadership stands for the raft node in unit tests: a flag and a channel
// closed at each change.
type leadership struct {
	mu     sync.Mutex
	leader bool
	ch     chan struct{}
}

func newLeadership() *leadership { return &leadership{ch: make(chan struct{})} }

func (l *leadership) Leader() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

func (l *leadership) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ch
}

func (l *leadership) set(v bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leader = v
	close(l.ch)
	l.ch = make(chan struct{})
}

// The sender starts on a node the moment it becomes leader, not at its
// next tick (an hour here): it waits on the change of leadership.
func TestSenderStartsWhenThisNodeBecomesLeader(t *testing.T) {
	t.Parallel()
	l := newLeadership()
	opt := fastOptions()
	opt.SendInterval, opt.ConfigInterval = time.Hour, time.Hour
	opt.Leader, opt.LeaderChanged = l.Leader, l.Changed
	h := newHarness(t, "", opt)
	h.mustSend("f@exemple.test", citizenMail("follower@exemple.test", "f@exemple.test", "Reçu par un suiveur", "texte"))
	lt := h.letterBySubject("Reçu par un suiveur")
	passes := h.b.sendPasses.Load()
	passAfterKick(t, h.b.kick)
	if o := h.outbox(lt.ID); len(o) != 1 || o[0].Status != appliance.OutboxQueued || h.b.sendPasses.Load() != passes {
		t.Fatalf("a node that does not lead sent: %+v", o)
	}
	l.set(true)
	waitFor(t, "the acknowledgement sent by the new leader", 20*time.Second, func() bool {
		return h.outbox(lt.ID)[0].Status == appliance.OutboxSent
	})
}

// passAfterKick returns once the loop reading kick (a buffer of one) has
// run a whole pass after a kick: the second send waits for the loop to take
// the first, the third for it to come back to its select after that pass.
func passAfterKick(t *testing.T, kick chan struct{}) {
	t.Helper()
	for range 3 {
		select {
		case kick <- struct{}{}:
		case <-time.After(30 * time.Second):
			t.Fatal("the loop did not come back to take a kick")
		}
	}
}

//go:build !bench

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBinaryLeaderKilledUnderLoad: three nodes of the built binary take
// API registrations (each with an Idempotency-Key, sent again to the next
// node after a 503 or a broken connection, as a careful client does) and
// SMTP deliveries (sent again to the next node after a 4xx or a broken
// connection, as an MTA does), spread over all three, while the leader
// is killed with SIGKILL. Once another leads and the killed node is back:
// every registration answered 201 and every message answered 250 is a
// letter exactly once, the numbers are unique and gap-free, and every
// node's history verifies with the same state digest at the same applied
// index.
func TestBinaryLeaderKilledUnderLoad(t *testing.T) {
	t.Parallel()
	c := startBinCluster(t, 3, nil, func(int) []string { return []string{"--smtp", freeAddr(t)} })
	tok := c.token()
	mustMissive(t, "", "mail", "address", "add", "--data", c.data[0], "mairie@ville.test")
	for i := range 3 {
		waitUntil(t, fmt.Sprintf("node %d accepts mail for the address", i), 30*time.Second, func() bool {
			cl, err := smtp.Dial(c.smtpAddr(i))
			if err != nil {
				return false
			}
			defer cl.Close()
			return cl.Mail("sonde@exemple.test") == nil && cl.Rcpt("mairie@ville.test") == nil
		})
	}

	l := &killLoad{c: c, tok: tok}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go l.apiClient(w, stop, &wg)
	}
	for w := range 3 {
		wg.Add(1)
		go l.mta(w, stop, &wg)
	}
	progress := func(what string, n int) {
		t.Helper()
		from := l.acked()
		waitUntil(t, what, 2*time.Minute, func() bool { return l.acked() >= from+n })
	}
	progress("40 writes before the kill", 40)
	leader := c.leader(-1)
	c.kill(leader)
	now := c.leader(leader)
	t.Logf("node %d killed; node %d leads", leader, now)
	progress("40 writes after the kill", 40)
	c.restart(leader)
	progress("20 writes with the killed node back", 20)
	close(stop)
	wg.Wait()

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bad {
		t.Error(b)
	}
	if len(l.api) == 0 || len(l.mail) == 0 {
		t.Fatalf("%d registrations and %d messages acknowledged: nothing to check", len(l.api), len(l.mail))
	}
	st := c.converge()
	t.Logf("%d registrations and %d messages acknowledged; the nodes agree at applied index %d", len(l.api), len(l.mail), st.AppliedIndex)

	for i := range c.nodes {
		all := c.node(i).allLetters(tok)
		bySubject := map[string][]apiLetter{}
		var numbers []string
		for _, x := range all {
			bySubject[x.Subject] = append(bySubject[x.Subject], x)
			numbers = append(numbers, x.Number)
		}
		for subject, x := range l.api {
			if got := bySubject[subject]; len(got) != 1 || got[0].Number != x.Number || got[0].ID != x.ID {
				t.Errorf("node %d: registration %q answered %s %s, stored as %+v", i, subject, x.ID, x.Number, got)
			}
		}
		for subject := range l.mail {
			if got := bySubject[subject]; len(got) != 1 {
				t.Errorf("node %d: message %q answered 250, stored %d times: %+v", i, subject, len(got), got)
			}
		}
		slices.Sort(numbers)
		for k, num := range numbers {
			if !strings.HasSuffix(num, fmt.Sprintf("/A/%06d", k+1)) {
				t.Fatalf("node %d: numbers are not 1…%d: %v", i, len(numbers), numbers)
			}
		}
	}
}

// killLoad is the workload of TestBinaryLeaderKilledUnderLoad.
type killLoad struct {
	c   *binCluster
	tok string

	mu   sync.Mutex
	api  map[string]apiLetter // subject → the letter answered 201
	mail map[string]bool      // subject of each message answered 250
	bad  []string             // answers a careful client must never get
}

func (l *killLoad) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.api) + len(l.mail)
}

func (l *killLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bad = append(l.bad, fmt.Sprintf(format, args...))
}

// retryWindow is how long a client keeps sending one request again.
const retryWindow = 2 * time.Minute

// untilStopped sends request 0, 1, … until stop is closed, each until
// send says it was answered: a refused request is sent again to the next
// node, a request refused for good (send's error) or unanswered for
// retryWindow fails the test's load.
func (l *killLoad) untilStopped(w int, prefix string, stop <-chan struct{}, send func(subject string, node int) (bool, error)) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		subject := fmt.Sprintf("%s-%d-%d", prefix, w, i)
		deadline := time.Now().Add(retryWindow)
		for attempt := 0; ; attempt++ {
			if time.Now().After(deadline) {
				l.fail("%s: unanswered for %v", subject, retryWindow)
				return
			}
			done, err := send(subject, (w+attempt)%3)
			if err != nil {
				l.fail("%s: %v", subject, err)
				return
			}
			if done {
				break
			}
			// A refused client pauses before it retries on the next node, as
			// a real one does: this paces the load, it waits on no state.
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// apiClient registers letters until stop is closed, each until answered.
func (l *killLoad) apiClient(w int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	l.untilStopped(w, "api", stop, func(subject string, node int) (bool, error) {
		s := l.c.node(node)
		body := map[string]any{"category": "incoming", "subject": subject}
		code, b, _, err := s.callKeyed("POST", "/api/v1/letters", l.tok, "enreg-"+subject, body)
		switch {
		case err == nil && code == 201:
			var x apiLetter
			if json.Unmarshal(b, &x) != nil || x.Subject != subject || x.Number == "" {
				l.fail("registration %s: answered %s", subject, b)
			}
			l.mu.Lock()
			if l.api == nil {
				l.api = map[string]apiLetter{}
			}
			l.api[subject] = x
			l.mu.Unlock()
			return true, nil
		case err == nil && code != 503:
			return false, fmt.Errorf("registration on %s: %d %s", s.url, code, b)
		}
		return false, nil
	})
}

// mta delivers messages until stop is closed, each until answered 250:
// the same message (same Message-ID) goes to the next node after a
// temporary failure.
func (l *killLoad) mta(w int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	l.untilStopped(w, "courriel", stop, func(subject string, node int) (bool, error) {
		msg := fmt.Sprintf("From: jeanne@exemple.test\r\nTo: mairie@ville.test\r\nSubject: %s\r\nMessage-ID: <%s@exemple.test>\r\n\r\nBonjour.\r\n", subject, subject)
		addr := l.c.smtpAddr(node)
		err := sendPlain(addr, msg)
		if err == nil {
			l.mu.Lock()
			if l.mail == nil {
				l.mail = map[string]bool{}
			}
			l.mail[subject] = true
			l.mu.Unlock()
			return true, nil
		}
		if perr := (*textproto.Error)(nil); errors.As(err, &perr) && perr.Code >= 500 {
			return false, fmt.Errorf("message on %s: %v", addr, err)
		}
		return false, nil
	})
}

// sendPlain delivers one message from jeanne to the town hall in plain
// SMTP, as a relay on the town's network does.
func sendPlain(addr, msg string) error {
	cl, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.Hello("relais.exemple.test"); err != nil {
		return err
	}
	if err := cl.Mail("jeanne@exemple.test"); err != nil {
		return err
	}
	if err := cl.Rcpt("mairie@ville.test"); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}

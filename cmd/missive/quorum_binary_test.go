//go:build !bench

package main

import (
	"errors"
	"io"
	"missive/appliance/apptest"
	"net/http"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"
)

var smtpListenRe = regexp.MustCompile(`Missive reçoit le courrier SMTP sur (\S+)`)

// Quorum lost, then recovered: three nodes, kill -9 of two. The survivor
// serves reads, shows on its pages that the data may be stale, and refuses
// writes saying there is no quorum — 503 on the API and WebDAV, 451 4.3.0
// on SMTP, an error on the control socket that names the quorum, not the
// database. Stopped, recovered with missive cluster recover, restarted, it
// leads alone and takes writes.
func TestBinaryQuorumLostThenRecovered(t *testing.T) {
	t.Parallel()
	d1, d2, d3 := newDataDir(t), newDataDir(t), newDataDir(t)
	c1, c2, c3 := freeAddr(t), freeAddr(t), freeAddr(t)
	s1 := startMissiveWith(t, d1, []string{"--cluster-listen", c1})
	pw := s1.firstPassword()
	tok := lastLine(mustMissive(t, "", "cluster", "token", "--data", d1))
	s2 := startMissiveWith(t, d2, []string{"--cluster-listen", c2, "--join", c1, "--token", tok})
	tok = lastLine(mustMissive(t, "", "cluster", "token", "--data", d1))
	s3 := startMissiveWith(t, d3, []string{"--cluster-listen", c3, "--join", c1, "--token", tok, "--smtp", "127.0.0.1:0"})
	waitStatus(t, d1, "three voters", func(st clusterStatus) bool {
		voters := 0
		for _, n := range st.Nodes {
			if n.Voter {
				voters++
			}
		}
		return voters == 3 && st.Leader != ""
	})
	mustMissive(t, "", "mail", "address", "add", "--data", d1, "--tenant", "default", "mairie@ville.test")
	api := s1.token("admin")
	var before apiLetter
	s1.must(201, "POST", "/api/v1/letters", api, map[string]any{"category": "incoming", "subject": "Avant la panne"}, &before)
	s3.must(200, "GET", "/api/v1/letters/"+before.ID+"?consistency=strong", api, nil, nil)
	m := smtpListenRe.FindStringSubmatch(s3.stdout.String())
	if m == nil {
		t.Fatalf("node 3 announced no SMTP listener:\n%s", s3.stdout)
	}

	s1.kill()
	s2.kill()
	// API: a write is refused with 503 saying there is no quorum.
	var body []byte
	var code int
	var err error
	refused := func() bool {
		code, body, err = s3.call("POST", "/api/v1/letters", api, map[string]any{"category": "incoming", "subject": "Sans quorum"})
		if err == nil && code != 503 && code != 201 {
			t.Fatalf("write without quorum: %d %s", code, body)
		}
		return err == nil && code == 503 && strings.Contains(string(body), "pas de quorum")
	}
	// Each look proposes a letter: every 200 ms.
	if !apptest.Wait(90*time.Second, 200*time.Millisecond, refused) {
		t.Fatalf("write without quorum: %d %s %v", code, body, err)
	}
	if strings.Contains(string(body), "base de données") {
		t.Fatalf("no quorum told as a database failure: %s", body)
	}
	// Reads go on from the local store.
	s3.must(200, "GET", "/api/v1/letters/"+before.ID, api, nil, nil)
	// Every page says the data may be stale.
	resp, err := http.Get(s3.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="cluster-stale"`) || !strings.Contains(string(page), "peuvent ne pas être à jour") {
		t.Fatalf("login page without the no-quorum banner: %d\n%s", resp.StatusCode, page)
	}
	// WebDAV: 503.
	if r := davRequest(t, s3, "PUT", "/dav/default/~admin/sans-quorum.txt", pw, "", "texte"); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("WebDAV PUT without quorum: %d, want 503", r.StatusCode)
	}
	// SMTP: 451 4.3.0, the sender keeps the message.
	if code, msg := smtpSend(t, m[1], "mairie@ville.test"); code != 451 || !strings.Contains(msg, "quorum") {
		t.Fatalf("SMTP without quorum: %d %q, want 451 4.3.0 naming the quorum", code, msg)
	}
	// Control socket: the error names the quorum.
	r := runMissive(t, "", "token", "create", "--data", d3, "--user", "admin")
	if r.code == 0 || !strings.Contains(r.stderr, "pas de quorum") || strings.Contains(r.stderr, "base de données") {
		t.Fatalf("token create without quorum: exit %d, stderr %q", r.code, r.stderr)
	}
	// Recovery: refused while the node runs, then done on the stopped node.
	if r := runMissive(t, "", "cluster", "recover", "--data", d3); r.code == 0 || !strings.Contains(r.stderr, "déjà") {
		t.Fatalf("recover on a running node: exit %d, stderr %q", r.code, r.stderr)
	}
	s3.stop()
	if r := runMissive(t, "", "cluster", "recover", "--data", d3, "--keep", "inconnu"); r.code == 0 || !strings.Contains(r.stderr, "inconnu") {
		t.Fatalf("recover keeping an unknown node: exit %d, stderr %q", r.code, r.stderr)
	}
	out := mustMissive(t, "", "cluster", "recover", "--data", d3)
	if !strings.Contains(out, "peers.json") {
		t.Fatalf("recover said %q", out)
	}
	s3 = startMissiveWith(t, d3, nil)
	st := waitStatus(t, d3, "the survivor leads alone", func(st clusterStatus) bool { return st.Leader == st.Self && len(st.Nodes) == 1 })
	var after apiLetter
	s3.must(201, "POST", "/api/v1/letters", api, map[string]any{"category": "incoming", "subject": "Après la récupération"}, &after)
	if !strings.HasSuffix(after.Number, "/000002") {
		t.Fatalf("number after the recovery %s, want the next one after %s", after.Number, before.Number)
	}
	t.Logf("recovered node %s: %s", st.Self, after.Number)
	s3.stop()
	verifyHistory(t, d3)
}

// smtpSend sends one message and returns the server's answer to DATA
// (250 when taken).
func smtpSend(t *testing.T, addr, to string) (int, string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("citoyen@exemple.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "From: citoyen@exemple.test\r\nTo: "+to+"\r\nSubject: Demande\r\nMessage-ID: <sans-quorum@exemple.test>\r\n\r\nBonjour.\r\n")
	err = w.Close()
	if err == nil {
		return 250, ""
	}
	if !strings.Contains(err.Error(), "4.3.0") {
		t.Errorf("SMTP answer without the enhanced code 4.3.0: %v", err)
	}
	var te *textproto.Error
	if !errors.As(err, &te) {
		t.Fatalf("SMTP DATA: %v", err)
	}
	return te.Code, te.Msg
}

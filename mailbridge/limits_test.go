package mailbridge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"missive/appliance"
)

// greeting dials the listener from the loopback address src and returns
// the first line the server says.
func greeting(t *testing.T, addr, src string) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("greeting from %s: %v", src, err)
	}
	c.SetReadDeadline(time.Time{})
	return c, line
}

// Connections are capped in all and per client address: over a cap, a
// temporary 421, and a freed slot takes a new client.
func TestSMTPConnectionCaps(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.MaxConns, opt.MaxConnsPerAddr = 4, 2
	h := newHarness(t, "", opt)
	addr := h.smtp.Addr().String()
	var open []net.Conn
	t.Cleanup(func() {
		for _, c := range open {
			c.Close()
		}
	})
	for _, src := range []string{"127.0.0.1", "127.0.0.1"} {
		c, line := greeting(t, addr, src)
		open = append(open, c)
		if !strings.HasPrefix(line, "220 ") {
			t.Fatalf("connection from %s: %q", src, line)
		}
	}
	c, line := greeting(t, addr, "127.0.0.1")
	c.Close()
	if !strings.HasPrefix(line, "421 4.7.0") {
		t.Fatalf("third connection from one address: %q, want 421 4.7.0", line)
	}
	for _, src := range []string{"127.0.0.2", "127.0.0.2"} {
		c, line := greeting(t, addr, src)
		open = append(open, c)
		if !strings.HasPrefix(line, "220 ") {
			t.Fatalf("connection from %s: %q", src, line)
		}
	}
	c, line = greeting(t, addr, "127.0.0.3")
	c.Close()
	if !strings.HasPrefix(line, "421 4.7.0") {
		t.Fatalf("fifth connection in all: %q, want 421 4.7.0", line)
	}
	// A client leaves: its slot is free again.
	open[0].Close()
	waitFor(t, "a freed connection slot", 10*time.Second, func() bool {
		c, line := greeting(t, addr, "127.0.0.3")
		c.Close()
		return strings.HasPrefix(line, "220 ")
	})
}

// bigMessage is an e-mail of about n bytes: a text and a base64 attachment.
func bigMessage(i, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Jeanne <jeanne%d@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: Gros envoi %d\r\nMessage-ID: <gros%d@exemple.test>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain\r\n\r\nVoir la pièce jointe.\r\n"+
		"--xx\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=plan.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n", i, i, i)
	line := strings.Repeat("QUJDRA==", 9) + "\r\n"
	for b.Len() < n {
		b.WriteString(line)
	}
	b.WriteString("--xx--\r\n")
	return b.Bytes()
}

func sendRaw(addr string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("jeanne@exemple.test", []string{"mairie@ville.test"}, bytes.NewReader(raw))
}

// Six large messages at once: each arrives into the spool on disk, and no
// more bytes of messages than the intake's budget are being turned into
// letters at any moment; all six become letters.
func TestSMTPMemoryBudget(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.IntakeMemory = 5 << 20
	opt.SpoolDir = t.TempDir()
	h := newHarness(t, "", opt)
	addr := h.smtp.Addr().String()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sendRaw(addr, bigMessage(i, 2<<20))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if len(h.letters()) != 6 {
		t.Fatalf("%d letters, want 6", len(h.letters()))
	}
	if peak := h.b.parsingPeak.Load(); peak > opt.IntakeMemory || peak == 0 {
		t.Fatalf("%d bytes of messages parsed at once, budget %d", peak, opt.IntakeMemory)
	}
	if left, _ := os.ReadDir(opt.SpoolDir); len(left) != 0 {
		t.Fatalf("spool not emptied: %v", left)
	}
}

// With the budget full the message waits in the spool, then the client is
// told to come back (451 4.3.1) and nothing is registered; once there is
// room, it is taken in.
func TestSMTPBusy(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.IntakeMemory = 1 << 20
	opt.BusyWait = 2 * time.Second
	opt.SpoolDir = t.TempDir()
	h := newHarness(t, "", opt)
	addr := h.smtp.Addr().String()
	release, err := h.b.mem.acquire(context.Background(), opt.IntakeMemory)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sendRaw(addr, bigMessage(1, 100<<10)) }()
	waitFor(t, "the message waiting in the spool", 10*time.Second, func() bool {
		f, _ := os.ReadDir(opt.SpoolDir)
		return len(f) == 1
	})
	var se *smtp.SMTPError
	if err := <-done; !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 1}) {
		t.Fatalf("send with the budget full: %v, want 451 4.3.1", err)
	}
	if n := len(h.letters()); n != 0 {
		t.Fatalf("%d letters registered by a deferred message", n)
	}
	release()
	if err := sendRaw(addr, bigMessage(1, 100<<10)); err != nil {
		t.Fatalf("send again: %v", err)
	}
	if n := len(h.letters()); n != 1 {
		t.Fatalf("%d letters, want 1", n)
	}
}

// A message of thousands of parts, or nested deep, makes a bounded number
// of documents; the original .eml keeps everything, and the letter says why.
func TestMIMEPartsCap(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.Limits = ParseLimits{MaxParts: 50, MaxDepth: 8}
	h := newHarness(t, "", opt)
	var b bytes.Buffer
	b.WriteString("From: x@exemple.test\r\nTo: mairie@ville.test\r\nSubject: Mille morceaux\r\nMessage-ID: <parts@exemple.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=p%d.bin\r\n\r\nx\r\n", i)
	}
	b.WriteString("--b--\r\n")
	raw := b.Bytes()
	res, err := h.b.Deliver(h.ctx, "default", raw, Envelope{From: "x@exemple.test", Source: "smtp"}, []string{"mairie@ville.test"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.svc.View(h.ctx, h.env.Admin, res.Letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v.Documents); n > 1+opt.Limits.MaxParts || n < 2 {
		t.Fatalf("%d documents from 3000 parts, cap %d", n, opt.Limits.MaxParts)
	}
	var eml *appliance.Upload
	for _, d := range v.Documents {
		if strings.HasSuffix(d.Name, ".eml") && d.Versions[0].Size == int64(len(raw)) {
			eml = &appliance.Upload{Name: d.Name}
		}
	}
	if eml == nil {
		t.Fatal("the original .eml is not kept whole")
	}
	// Nested 200 deep: read to the depth cap, the rest kept raw.
	b.Reset()
	b.WriteString("From: x@exemple.test\r\nTo: mairie@ville.test\r\nSubject: Poupées russes\r\nMessage-ID: <deep@exemple.test>\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=d%d\r\n\r\n--d%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nau fond\r\n")
	for i := 199; i >= 0; i-- {
		fmt.Fprintf(&b, "--d%d--\r\n", i)
	}
	m := ParseWith(b.Bytes(), opt.Limits)
	if len(m.Parts) > opt.Limits.MaxParts {
		t.Fatalf("%d parts from a deep nest", len(m.Parts))
	}
}

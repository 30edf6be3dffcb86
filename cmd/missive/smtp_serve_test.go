//go:build !bench

package main

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSMTPListenFromConfigWithStartTLS: the installed service listens for
// SMTP from its configuration (smtp_listen, no --smtp flag) and offers
// STARTTLS with the site's own certificate, the one HTTPS serves, which
// verifies from the exported root; AUTH is offered only after STARTTLS,
// and a recipient that is not configured is refused even then.
func TestSMTPListenFromConfigWithStartTLS(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	cfgPath, _ := runQuickstartT(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := ln.Addr().String()
	ln.Close()
	cfgb, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The file quickstart wrote documents every key, smtp_listen empty.
	cfgs := regexp.MustCompile(`(?m)^smtp_listen = .*$`).ReplaceAllString(string(cfgb), `smtp_listen = "`+smtpAddr+`"`)
	if !strings.Contains(cfgs, smtpAddr) {
		t.Fatalf("no smtp_listen key in the config quickstart wrote:\n%s", cfgb)
	}
	if err := os.WriteFile(cfgPath, []byte(cfgs), 0o640); err != nil {
		t.Fatal(err)
	}
	if r := instRun(t, nil, "mail", "address", "add", "--config", cfgPath, "mairie@courrier.test"); r.code != 0 {
		t.Fatalf("mail address add: %s", r.stderr)
	}
	ca := filepath.Join(dir, "ca.crt")
	if e := instRun(t, nil, "tls", "export-ca", "--config", cfgPath, "--out", ca); e.code != 0 {
		t.Fatalf("tls export-ca: %s", e.stderr)
	}
	roots := x509.NewCertPool()
	pemb, _ := os.ReadFile(ca)
	roots.AppendCertsFromPEM(pemb)

	s := instServe(t, nil, "--config", cfgPath)
	// serve says so before it says it is ready.
	if want := "Missive reçoit le courrier SMTP sur " + smtpAddr + " (STARTTLS)\n"; !strings.Contains(s.stdout.String(), want) {
		t.Fatalf("no SMTP listener with STARTTLS announced:\n%s", s.stdout)
	}
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Fatal("AUTH offered before TLS")
	}
	if err := c.StartTLS(&tls.Config{ServerName: testHost, RootCAs: roots}); err != nil {
		t.Fatalf("STARTTLS with the site's certificate: %v", err)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || !strings.Contains(mechs, "PLAIN") || !strings.Contains(mechs, "LOGIN") {
		t.Fatalf("AUTH after TLS: %v %q", ok, mechs)
	}
	if err := c.Mail("jeanne@exemple.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("quelquun@ailleurs.test"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("a foreign recipient over TLS: %v", err)
	}
	if err := c.Rcpt("mairie@courrier.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("From: jeanne@exemple.test\r\nTo: mairie@courrier.test\r\nSubject: Par STARTTLS\r\nMessage-ID: <starttls-" + strconv.Itoa(os.Getpid()) + "@exemple.test>\r\n\r\nBonjour.\r\n"))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA over TLS: %v", err)
	}
	c.Quit()
	s.stop(t)
}

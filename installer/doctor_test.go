package installer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"missive/appliance/config"
)

// doctorConfig is a configuration for a folder with no server behind it.
func doctorConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	os.Chmod(cfg.Data, 0o750)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	ln.Close() // nobody listens there: "Missive est arrêté"
	cfg.TLS, cfg.Hostname = config.TLSNone, ""
	return cfg
}

func find(checks []Check, text string) (Check, bool) {
	for _, c := range checks {
		if strings.Contains(c.Text, text) {
			return c, true
		}
	}
	return Check{}, false
}

// Doctor runs the checks in order, tells Report each one as it is made,
// and hands the raft hook the store's applied index.
func TestDoctorReportsInOrder(t *testing.T) {
	t.Parallel()
	cfg := doctorConfig(t)
	var heard []Check
	raftCalled := false
	checks := Doctor(context.Background(), DoctorOptions{
		Config: cfg, ConfigPath: "/etc/missive/missive.toml", Version: "test", Timeout: time.Second,
		Raft: func(applied uint64) Check {
			raftCalled = true
			return Check{Level: Fail, Text: "journal abîmé", Fix: "restaurez"}
		},
		Report: func(c Check) { heard = append(heard, c) },
	})
	if len(heard) != len(checks) || len(checks) < 5 {
		t.Fatalf("reported %d of %d checks", len(heard), len(checks))
	}
	if checks[0].Level != OK || checks[0].Text != "Configuration /etc/missive/missive.toml valide." {
		t.Errorf("first check: %+v", checks[0])
	}
	if !strings.HasPrefix(checks[1].Text, "Dossier de données") || checks[2].Text != "journal abîmé" || checks[2].Level != Fail || !raftCalled {
		t.Errorf("data dir then raft: %+v %+v", checks[1], checks[2])
	}
	if c, ok := find(checks, "Personne n'écoute sur "+cfg.Listen); !ok || c.Level != Fail || !strings.Contains(c.Fix, "systemctl start missive") {
		t.Errorf("stopped server: %+v in %+v", c, checks)
	}
}

func TestDoctorDataDir(t *testing.T) {
	t.Parallel()
	cfg := doctorConfig(t)
	cfg.Data = filepath.Join(cfg.Data, "absent")
	checks := Doctor(context.Background(), DoctorOptions{Config: cfg, Version: "test", Timeout: time.Second})
	if checks[0].Level != Warn || !strings.Contains(checks[0].Text, "Aucun fichier de configuration") {
		t.Errorf("no config file: %+v", checks[0])
	}
	if c, ok := find(checks, "introuvable"); !ok || c.Level != Fail || !strings.Contains(c.Fix, "missive quickstart") {
		t.Errorf("missing data dir: %+v", checks)
	}
	// Another version's data is not opened (that would migrate it).
	cfg = doctorConfig(t)
	os.WriteFile(filepath.Join(cfg.Data, VersionFile), []byte("0.1\n"), 0o600)
	checks = Doctor(context.Background(), DoctorOptions{Config: cfg, Version: "0.2", Timeout: time.Second})
	if c, ok := find(checks, "Données écrites par une autre version"); !ok || c.Level != Warn {
		t.Errorf("other version: %+v", checks)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, "missive.db")); err == nil {
		t.Error("doctor created a store in another version's data dir")
	}
}

// A certificate in files is read when the server does not answer: one
// about to expire is to watch, an expired one to fix.
func TestDoctorCertificateFiles(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		left  time.Duration
		level Level
		text  string
	}{
		{90 * 24 * time.Hour, OK, "valable jusqu'au"},
		{5 * 24 * time.Hour, Warn, "expire dans"},
		{-time.Hour, Fail, "expiré depuis"},
	} {
		cfg := doctorConfig(t)
		cfg.TLS, cfg.Hostname = config.TLSFiles, "courrier.ville.fr"
		cfg.CertFile, cfg.KeyFile = writeCert(t, cfg.Data, "courrier.ville.fr", time.Now().Add(c.left))
		checks := Doctor(context.Background(), DoctorOptions{Config: cfg, Version: "test", Timeout: time.Second})
		got, ok := find(checks, "Certificat dans "+cfg.CertFile)
		if !ok || got.Level != c.level || !strings.Contains(got.Text, c.text) {
			t.Errorf("certificate with %v left: %+v\n%+v", c.left, got, checks)
		}
		if c.level != OK && !strings.Contains(got.Fix, "remplacez "+cfg.CertFile) {
			t.Errorf("fix: %q", got.Fix)
		}
	}
}

func writeCert(t *testing.T, dir, host string, notAfter time.Time) (string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, keyPath
}

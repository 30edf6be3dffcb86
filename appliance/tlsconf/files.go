package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// fileCert serves a certificate the town provides and picks up a new one
// when either file changes, without a restart: replacing the files is how
// such a certificate is renewed.
type fileCert struct {
	certFile, keyFile string
	log               *slog.Logger

	mu    sync.RWMutex
	cert  *tls.Certificate
	stamp string
}

// LoadFiles reads and checks a certificate and key pair.
func LoadFiles(certFile, keyFile string) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("certificat %s et clé %s: %w", certFile, keyFile, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("certificat %s: %w", certFile, err)
		}
	}
	return &c, nil
}

func (f *fileCert) fileStamp() (string, error) {
	var s string
	for _, p := range []string{f.certFile, f.keyFile} {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return s, nil
}

func (f *fileCert) load() error {
	stamp, err := f.fileStamp()
	if err != nil {
		return fmt.Errorf("certificat: %w", err)
	}
	c, err := LoadFiles(f.certFile, f.keyFile)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.cert, f.stamp = c, stamp
	f.mu.Unlock()
	return nil
}

func (f *fileCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cert, nil
}

func (f *fileCert) leaf() *x509.Certificate {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.cert == nil {
		return nil
	}
	return f.cert.Leaf
}

// watch reloads the pair when the files change. A pair caught half-written
// (new certificate, old key) fails to load: the old one is kept and the
// load is tried again at the next look.
func (f *fileCert) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failed := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		stamp, err := f.fileStamp()
		f.mu.RLock()
		same := stamp == f.stamp
		f.mu.RUnlock()
		if err != nil || same {
			continue
		}
		if err := f.load(); err != nil {
			if failed != stamp {
				f.log.Warn("TLS certificate files changed but do not load; keeping the previous certificate", "err", err)
				failed = stamp
			}
			continue
		}
		failed = ""
		l := f.leaf()
		f.log.Info("TLS certificate reloaded from files", "file", f.certFile, "not_after", l.NotAfter.UTC().Format(time.RFC3339))
	}
}

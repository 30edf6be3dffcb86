// Package tlsconf owns Missive's TLS certificate: one certificate for the
// public hostname, served by HTTPS, SMTP STARTTLS and WebDAV alike. It comes
// from an ACME CA (Let's Encrypt by default, or an on-premises one), from a
// local CA made at quickstart (internal), or from files the town provides,
// reloaded when they change.
//
// ACME and internal certificates are managed by certmagic with a Cache and
// Config of our own (no package globals) and the hostname as the only name
// it will ever obtain. Everything certmagic keeps (certificates, ACME
// account, locks, the internal CA) goes through Storage: FileStorage on a
// single node, Replicated (the appliance's replicated store) on the nodes
// of a cluster, which then share one certificate and make one ACME order.
package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

// Storage holds certificates, keys, ACME accounts and locks. A single node
// uses FileStorage in its data dir; a cluster node uses Replicated.
type Storage = certmagic.Storage

// FileStorage keeps TLS assets under dir (files 0600, folders 0700).
func FileStorage(dir string) Storage { return &certmagic.FileStorage{Path: dir} }

// Modes, as in the tls key of missive.toml.
const (
	ModeACME     = "acme"
	ModeInternal = "internal"
	ModeFiles    = "files"
)

// LetsEncrypt is the default ACME directory.
const LetsEncrypt = certmagic.LetsEncryptProductionCA

// Options describes where the certificate comes from.
type Options struct {
	Mode     string
	Hostname string
	Storage  Storage

	// ACME: the directory (empty: Let's Encrypt), the contact, the roots
	// that sign the directory's HTTPS certificate (nil: the system's), and
	// where this server answers challenges: HTTPPort for HTTP-01 (0: never),
	// TLSPort for TLS-ALPN-01 (0: never). ListenHost is the host those
	// listeners are bound to.
	Directory  string
	Email      string
	Roots      *x509.CertPool
	HTTPPort   int
	TLSPort    int
	ListenHost string

	// Files: PEM certificate (with its chain) and key, looked at every
	// ReloadEvery (default 30s) and reloaded when they changed.
	CertFile, KeyFile string
	ReloadEvery       time.Duration

	// Internal: lifetime of the certificates the local CA signs (default 90
	// days; renewed when a third of it is left).
	Lifetime time.Duration

	// RenewCheck is how often managed certificates are looked at for renewal
	// (default certmagic's 10 minutes), and RenewalWindowRatio the share of
	// a certificate's lifetime left when it is renewed (default a third,
	// unless the CA's renewal information says otherwise).
	RenewCheck         time.Duration
	RenewalWindowRatio float64

	Log *slog.Logger
}

// Manager serves the certificate and keeps it valid.
type Manager struct {
	opts   Options
	cache  *certmagic.Cache
	magic  *certmagic.Config
	acme   *certmagic.ACMEIssuer
	files  *fileCert
	tlsCfg *tls.Config
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// New prepares a Manager; Start obtains or loads the certificate.
func New(opts Options) (*Manager, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Hostname == "" {
		return nil, errors.New("tls: hostname obligatoire")
	}
	m := &Manager{opts: opts}
	switch opts.Mode {
	case ModeFiles:
		if opts.ReloadEvery <= 0 {
			m.opts.ReloadEvery = 30 * time.Second
		}
		m.files = &fileCert{certFile: opts.CertFile, keyFile: opts.KeyFile, log: opts.Log}
		m.tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: m.files.get}
		return m, nil
	case ModeACME, ModeInternal:
	default:
		return nil, fmt.Errorf("tls: mode %q inconnu (acme, internal ou files)", opts.Mode)
	}
	if opts.Storage == nil {
		return nil, errors.New("tls: stockage obligatoire")
	}
	zl := zap.New(newZapCore(opts.Log.With("component", "certmagic")))
	var cfg *certmagic.Config
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
		RenewCheckInterval: opts.RenewCheck,
		Logger:             zl,
	})
	cfg = certmagic.New(m.cache, certmagic.Config{
		Storage:            opts.Storage,
		Logger:             zl,
		DefaultServerName:  opts.Hostname,
		OnEvent:            m.onEvent,
		RenewalWindowRatio: opts.RenewalWindowRatio,
	})
	if opts.Mode == ModeInternal {
		cfg.Issuers = []certmagic.Issuer{&internalIssuer{storage: opts.Storage, hostname: opts.Hostname, lifetime: opts.Lifetime}}
		// The local CA runs no OCSP responder.
		cfg.OCSP.DisableStapling = true
	} else {
		dir := opts.Directory
		if dir == "" {
			dir = LetsEncrypt
		}
		m.acme = certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
			CA:                      dir,
			Email:                   opts.Email,
			Agreed:                  true,
			TrustedRoots:            opts.Roots,
			ListenHost:              opts.ListenHost,
			AltHTTPPort:             opts.HTTPPort,
			AltTLSALPNPort:          opts.TLSPort,
			DisableHTTPChallenge:    opts.HTTPPort == 0,
			DisableTLSALPNChallenge: opts.TLSPort == 0,
			Logger:                  zl,
		})
		cfg.Issuers = []certmagic.Issuer{m.acme}
	}
	m.magic = cfg
	tc := cfg.TLSConfig()
	tc.MinVersion = tls.VersionTLS12
	// acme-tls/1 is the TLS-ALPN-01 challenge; h2 and http/1.1 the site.
	tc.NextProtos = []string{"h2", "http/1.1", "acme-tls/1"}
	m.tlsCfg = tc
	return m, nil
}

// Start loads or obtains the certificate. Internal and files certificates
// are ready when it returns; an ACME certificate is obtained in the
// background, since the CA's challenges need this server's listeners up.
func (m *Manager) Start(ctx context.Context) error {
	ctx, m.stop = context.WithCancel(context.WithoutCancel(ctx))
	switch m.opts.Mode {
	case ModeFiles:
		if err := m.files.load(); err != nil {
			return err
		}
		if err := m.files.leaf().VerifyHostname(m.opts.Hostname); err != nil {
			m.opts.Log.Warn("the certificate file does not name the hostname", "file", m.opts.CertFile, "hostname", m.opts.Hostname, "err", err)
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.files.watch(ctx, m.opts.ReloadEvery)
		}()
		return nil
	case ModeInternal:
		if err := InitCA(ctx, m.opts.Storage, m.opts.Hostname); err != nil {
			return err
		}
		return m.magic.ManageSync(ctx, []string{m.opts.Hostname})
	default:
		return m.magic.ManageAsync(ctx, []string{m.opts.Hostname})
	}
}

// Close stops renewals and file watching.
func (m *Manager) Close() {
	if m.stop != nil {
		m.stop()
	}
	m.wg.Wait()
	if m.cache != nil {
		m.cache.Stop()
	}
}

// TLSConfig is the one configuration for HTTPS, SMTP STARTTLS and WebDAV.
// Callers may clone it; GetCertificate always serves the current certificate.
func (m *Manager) TLSConfig() *tls.Config { return m.tlsCfg }

// HTTPHandler answers ACME HTTP-01 challenges and hands everything else to
// next (the redirect to HTTPS).
func (m *Manager) HTTPHandler(next http.Handler) http.Handler {
	if m.acme == nil {
		return next
	}
	return m.acme.HTTPChallengeHandler(next)
}

// Leaf is the certificate currently served for the hostname, nil before the
// first one is obtained.
func (m *Manager) Leaf() *x509.Certificate {
	if m.files != nil {
		return m.files.leaf()
	}
	for _, c := range m.cache.AllMatchingCertificates(m.opts.Hostname) {
		if c.Leaf != nil {
			return c.Leaf
		}
	}
	return nil
}

func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	switch event {
	case "cert_obtained":
		m.opts.Log.Info("TLS certificate obtained", "hostname", m.opts.Hostname, "renewal", data["renewal"], "issuer", data["issuer"])
	case "cert_failed":
		m.opts.Log.Error("TLS certificate not obtained", "hostname", m.opts.Hostname, "renewal", data["renewal"], "err", data["error"])
	}
	return nil
}

// LoadPool reads a PEM file of CA certificates.
func LoadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: aucun certificat PEM", path)
	}
	return p, nil
}

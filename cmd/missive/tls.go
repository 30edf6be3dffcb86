package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"missive/appliance/config"
	"missive/appliance/tlsconf"
	"missive/installer"
)

const tlsExportCAHelp = `Affiche (ou écrit dans --out) le certificat racine de l'autorité locale créée par
« missive quickstart --tls internal ». Déployez-le sur les postes de la commune
(stratégie de groupe Active Directory, magasin « Autorités de certification
racines de confiance ») pour que navigateurs et LibreOffice acceptent le
certificat de Missive. Cette racine ne peut certifier que le nom du serveur.`

func runTLSExportCA(c *cli) error {
	c.dataFlags()
	out := c.fs.String("out", "", "fichier où écrire la racine (PEM); défaut: la sortie standard")
	if err := c.parse(false); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	pem, err := tlsconf.CARoot(context.Background(), tlsStorage(cfg))
	if errors.Is(err, tlsconf.ErrNoCA) {
		return &exitError{1, err.Error()}
	}
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = c.stdout.Write(pem)
		return err
	}
	if err := os.WriteFile(*out, pem, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Racine de l'autorité locale écrite dans %s\n", *out)
	return nil
}

// tlsStorage is where certificates, the ACME account and the local CA live.
func tlsStorage(cfg config.Config) tlsconf.Storage { return installer.TLSStorage(cfg) }

// serveTLSStorage is where a running node keeps what certmagic keeps. A
// node of a cluster with an ACME certificate keeps it in the replicated
// store, so that the nodes share one certificate and one ACME account and
// order it once between them (the lock around an order is one lock
// cluster-wide); a single node, and the other modes (the local CA made
// at quickstart lives in the data dir), keep DATA/tls.
func serveTLSStorage(cfg config.Config, n *node, log *slog.Logger) tlsconf.Storage {
	if cfg.TLS == config.TLSACME && n.cluster.Clustered() {
		return tlsconf.Replicated(n.svc, n.cluster.ID(), log.With("component", "tls-storage"))
	}
	return tlsStorage(cfg)
}

// tlsOptions turns the configuration into the certificate manager's options
// for listeners bound to httpsAddr and httpAddr ("" when there is none),
// with certmagic's storage st.
func tlsOptions(cfg config.Config, st tlsconf.Storage, httpsAddr, httpAddr string, log *slog.Logger) (tlsconf.Options, error) {
	o := tlsconf.Options{
		Mode: cfg.TLS, Hostname: cfg.Hostname, Storage: st,
		Directory: cfg.ACMEDirectory, Email: cfg.ACMEEmail,
		CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, Log: log,
	}
	host, port, err := net.SplitHostPort(httpsAddr)
	if err != nil {
		return o, err
	}
	o.ListenHost = host
	fmt.Sscan(port, &o.TLSPort)
	if httpAddr != "" {
		_, p, err := net.SplitHostPort(httpAddr)
		if err != nil {
			return o, err
		}
		fmt.Sscan(p, &o.HTTPPort)
	}
	if cfg.ACMERoot != "" {
		if o.Roots, err = tlsconf.LoadPool(cfg.ACMERoot); err != nil {
			return o, fmt.Errorf("acme_root: %w", err)
		}
	}
	return o, nil
}

// frontend is the web side of serve: the main listener (HTTPS when tls is
// set, else plain HTTP), the port-80 listener that redirects to HTTPS and
// answers ACME HTTP-01 challenges, and the certificate they share with SMTP
// STARTTLS and WebDAV. Listeners are bound first, before a server started
// as root gives up root.
type frontend struct {
	cfg    config.Config
	log    *slog.Logger
	ln     net.Listener
	httpLn net.Listener
	// smtpLn is the SMTP listener (smtp_listen or --smtp), bound here
	// with the others while the server may still be root (port 25); the
	// mail bridge serves it.
	smtpLn net.Listener
	certs  *tlsconf.Manager
	redir  *http.Server
	closed sync.Once
}

func listenFrontend(cfg config.Config, log *slog.Logger) (*frontend, error) {
	f := &frontend{cfg: cfg, log: log}
	var err error
	if f.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if cfg.TLS != config.TLSNone && cfg.HTTPListen != "" {
		if f.httpLn, err = net.Listen("tcp", cfg.HTTPListen); err != nil {
			f.ln.Close()
			return nil, fmt.Errorf("listen on %s (http_listen): %w", cfg.HTTPListen, err)
		}
	}
	if cfg.SMTPListen != "" {
		if f.smtpLn, err = net.Listen("tcp", cfg.SMTPListen); err != nil {
			f.ln.Close()
			if f.httpLn != nil {
				f.httpLn.Close()
			}
			return nil, fmt.Errorf("listen for SMTP on %s (smtp_listen ou --smtp): %w", cfg.SMTPListen, err)
		}
	}
	return f, nil
}

// prepareTLS loads or makes the certificate, kept in st; an ACME one is
// obtained once the listeners serve (see serve).
func (f *frontend) prepareTLS(ctx context.Context, st tlsconf.Storage) error {
	if f.cfg.TLS == config.TLSNone {
		return nil
	}
	httpAddr := ""
	if f.httpLn != nil {
		httpAddr = f.httpLn.Addr().String()
	}
	o, err := tlsOptions(f.cfg, st, f.ln.Addr().String(), httpAddr, f.log)
	if err != nil {
		return err
	}
	if f.certs, err = tlsconf.New(o); err != nil {
		return err
	}
	if f.cfg.TLS != config.TLSACME {
		if err := f.certs.Start(ctx); err != nil {
			return fmt.Errorf("certificat TLS: %w", err)
		}
	}
	return nil
}

// TLSConfig is the certificate configuration for SMTP STARTTLS and
// WebDAV; nil when tls is not set.
func (f *frontend) TLSConfig() *tls.Config {
	if f.certs == nil {
		return nil
	}
	return f.certs.TLSConfig()
}

// handler adds HSTS when the site is served over HTTPS.
func (f *frontend) handler(h http.Handler) http.Handler {
	if f.cfg.TLS == config.TLSNone {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		h.ServeHTTP(w, r)
	})
}

// url is where the site answers.
func (f *frontend) url() string {
	if f.cfg.TLS == config.TLSNone {
		return "http://" + displayAddr(f.ln.Addr().String()) + "/"
	}
	return "https://" + hostPort(f.cfg.Hostname, f.ln.Addr().String(), "443") + "/"
}

// hostPort is host with addr's port, the port left out when it is the
// scheme's default.
func hostPort(host, addr, def string) string { return installer.HostPort(host, addr, def) }

// serve runs srv on the main listener (over TLS when set) and the redirect
// server, sending the first failure to errc; then starts obtaining an ACME
// certificate, whose challenges these listeners answer.
func (f *frontend) serve(ctx context.Context, srv *http.Server, errc chan<- error) {
	if f.certs == nil {
		go func() { errc <- srv.Serve(f.ln) }()
		return
	}
	srv.TLSConfig = f.certs.TLSConfig()
	go func() { errc <- srv.ServeTLS(f.ln, "", "") }()
	if f.httpLn != nil {
		f.redir = &http.Server{
			Handler:           f.certs.HTTPHandler(http.HandlerFunc(f.redirect)),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          srv.ErrorLog,
		}
		go func() { errc <- f.redir.Serve(f.httpLn) }()
		f.log.Info("HTTP redirected to HTTPS", "addr", f.httpLn.Addr().String())
	}
	if f.cfg.TLS == config.TLSACME {
		if err := f.certs.Start(ctx); err != nil {
			errc <- fmt.Errorf("certificat ACME: %w", err)
		}
	}
}

// redirect sends plain HTTP to the HTTPS site under its public name, never
// under the Host the client sent.
func (f *frontend) redirect(w http.ResponseWriter, r *http.Request) {
	target := "https://" + hostPort(f.cfg.Hostname, f.ln.Addr().String(), "443") + r.URL.RequestURI()
	code := http.StatusMovedPermanently
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		code = http.StatusPermanentRedirect
	}
	http.Redirect(w, r, target, code)
}

// shutdown drains srv and the redirect server, then stops renewals.
func (f *frontend) shutdown(ctx context.Context, srv *http.Server) error {
	err := srv.Shutdown(ctx)
	if f.redir != nil {
		err = errors.Join(err, f.redir.Shutdown(ctx))
	}
	f.close()
	return err
}

// close releases what serve did not take over.
func (f *frontend) close() {
	f.closed.Do(func() {
		if f.certs != nil {
			f.certs.Close()
		}
		f.ln.Close()
		if f.httpLn != nil {
			f.httpLn.Close()
		}
		if f.smtpLn != nil {
			f.smtpLn.Close() // the SMTP server closes it too; twice is harmless
		}
	})
}

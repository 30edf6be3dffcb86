package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/config"
	"missive/appliance/control"
)

func newLogger(cfg config.Config, c *cli) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

func runServe(c *cli) error {
	c.dataFlags()
	c.fs.StringVar(&c.common.listen, "listen", "", "adresse HTTP d'écoute (défaut 127.0.0.1:8080)")
	if err := c.parse(false); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg, c)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	n, err := openNode(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer n.close()

	password := ""
	if _, err := n.store.Reader().Tenant(ctx, "default"); err != nil {
		password = c.getenv("MISSIVE_ADMIN_PASSWORD")
		if password == "" {
			password = appliance.GeneratePassword()
		}
		if err := n.svc.Bootstrap(ctx, cfg.TenantName, password); err != nil {
			return fmt.Errorf("first start: %w", err)
		}
		log.Info("first start: tenant default and user admin created", "data", cfg.Data)
	}

	ctl, err := control.Listen(cfg.Data, n.svc, log)
	if err != nil {
		return err
	}
	go ctl.Serve()
	defer ctl.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	mux := http.NewServeMux()
	a := api.New(n.svc, log)
	a.Ready = n.cluster.Ready
	a.Register(mux)
	mux.HandleFunc("GET /{$}", home)
	srv := &http.Server{
		Handler:           securityHeaders(mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + displayAddr(ln.Addr().String()) + "/"
	if cfg.BaseURL != "" {
		url = strings.TrimSuffix(cfg.BaseURL, "/") + "/"
	}
	fmt.Fprintf(c.stdout, "Missive est prêt: %s\n", url)
	if password != "" {
		if c.getenv("MISSIVE_ADMIN_PASSWORD") != "" {
			fmt.Fprintln(c.stdout, "Premier démarrage: utilisateur admin, mot de passe pris dans MISSIVE_ADMIN_PASSWORD.")
		} else {
			fmt.Fprintf(c.stdout, "Premier démarrage: utilisateur admin, mot de passe %s\n(affiché une seule fois: notez-le, ou changez-le avec « missive user passwd --login admin »)\n", password)
		}
	}
	log.Info("serving", "url", url, "data", cfg.Data, "db", n.store.Dialect(), "version", version)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	case <-ctx.Done():
		log.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// displayAddr makes a wildcard listen address clickable.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	fmt.Fprint(w, `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Missive</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#eee;padding:0 .2rem}</style></head>
<body><main><h1>Missive</h1><p>Gestion électronique du courrier.</p>
<p>API JSON: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Créez un jeton avec <code>missive token create --user admin</code>
puis appelez l'API avec l'en-tête <code>Authorization: Bearer …</code>.</p></main></body></html>`)
}

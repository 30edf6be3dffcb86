package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/config"
	"missive/appliance/httplimit"
	"missive/appliance/web"
	"missive/installer"
	"missive/systemd"
	"missive/webdav/onlyoffice"
	"missive/webdav/share"
)

func newLogger(cfg config.Config, c *cli) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

func runServe(c *cli) error {
	c.dataFlags()
	c.fs.StringVar(&c.common.listen, "listen", "", "adresse HTTP d'écoute (défaut 127.0.0.1:8080)")
	smtpAddr := c.fs.String("smtp", "", "adresse d'écoute SMTP du courrier entrant, ex. 0.0.0.0:25 (défaut: smtp_listen de la configuration, sinon aucune; les boîtes IMAP sont relevées quand même)")
	clusterAddr := c.fs.String("cluster-listen", "", "port de cluster de ce nœud, ex. 10.0.0.5:7000 (défaut: cluster_listen de la configuration, ou l'adresse retenue au démarrage précédent)")
	var co clusterOptions
	c.fs.StringVar(&co.join, "join", "", "premier démarrage d'un nouveau nœud: port de cluster d'un nœud en marche, ex. 10.0.0.5:7000 (avec --token)")
	c.fs.StringVar(&co.token, "token", "", "jeton d'adhésion affiché par « missive cluster token » sur un nœud en marche")
	if err := c.parse(false); err != nil {
		return err
	}
	if (co.join == "") != (co.token == "") {
		return &exitError{2, "--join et --token vont ensemble: l'adresse d'un nœud en marche et le jeton qu'il a affiché (missive cluster token)"}
	}
	if *clusterAddr != "" {
		c.common.clusterListen = *clusterAddr
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if *smtpAddr != "" {
		cfg.SMTPListen = *smtpAddr
	}
	log := newLogger(cfg, c)
	ctx, stop := installer.ServiceContext(log)
	defer stop()
	return serve(ctx, c, cfg, co, log)
}

// serve runs the server until ctx ends or a listener fails: the
// listeners first (an ACME challenge may come as soon as they are up),
// then the node, the services around it, the HTTP handler, the ready line.
func serve(ctx context.Context, c *cli, cfg config.Config, co clusterOptions, log *slog.Logger) error {
	fe, err := startFrontend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer fe.close()

	n, password, err := startNode(ctx, c, cfg, log, func() (*node, error) { return openServeNode(ctx, cfg, log, co) })
	if err != nil {
		return err
	}
	defer n.close()
	if err := fe.prepareTLS(ctx, serveTLSStorage(cfg, n, log)); err != nil {
		return err
	}
	// Renewals stop before the node closes: a cluster's TLS storage is
	// the node's store (closing twice is harmless).
	defer fe.close()

	// The leader signs the head of the history into the raft log every
	// hour (and on demand: missive history checkpoint); the history is
	// verified in the background.
	go n.svc.RunCheckpoints(ctx, checkpointEvery, n.cluster.Leader, n.cluster.LeaderChanged)
	go verifyAtStart(ctx, n, cfg.Data, log)

	sv, err := startServices(ctx, c, cfg, n, fe, log)
	defer sv.stop()
	if err != nil {
		return err
	}
	mux, _ := newMux(n.svc, cfg, sv.bridge, sv.backups, clusterPage(n.cluster), n.cluster.Ready, log)
	srv := newHTTPServer(cfg, fe, mux, log)
	url := fe.url()
	if cfg.BaseURL != "" {
		url = strings.TrimSuffix(cfg.BaseURL, "/") + "/"
	}
	printReady(c, n, url, password)
	log.Info("serving", "url", url, "data", cfg.Data, "db", n.store.Dialect(), "version", version)

	errc := make(chan error, 3)
	fe.serve(ctx, srv, errc)
	go systemd.Watchdog(ctx, storeHealthy(n), log)
	systemd.Ready(url, log)
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	case <-ctx.Done():
		log.Info("shutting down")
	}
	systemd.Stopping(log)
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return fe.shutdown(sctx, srv)
}

// newHTTPServer wraps mux with the security headers, the body pacing and
// the frontend (redirects, HSTS).
func newHTTPServer(cfg config.Config, fe *frontend, mux http.Handler, log *slog.Logger) *http.Server {
	// A body must keep coming: a client trickling bytes is cut (httplimit).
	paced := httplimit.Pace(securityHeaders(mux), time.Duration(cfg.HTTPBodyTimeout)*time.Second, int64(cfg.HTTPBodyMinRateKB)<<10)
	return &http.Server{
		Handler:           fe.handler(paced),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// printReady writes the lines outside checks read: the cluster node, the
// address ("Missive est prêt: URL"), and on a first start the password.
func printReady(c *cli, n *node, url, password string) {
	if n.cluster.Clustered() {
		fmt.Fprintf(c.stdout, "Nœud %s du cluster, port de cluster %s\n", n.cluster.ID(), n.cluster.Address())
	}
	if n.svc.ReadOnly != "" {
		fmt.Fprintf(c.stdout, "Missive est prêt, en lecture seule: %s\n%s\n", url, n.svc.ReadOnly)
	} else {
		fmt.Fprintf(c.stdout, "Missive est prêt: %s\n", url)
	}
	if password != "" {
		if c.getenv("MISSIVE_ADMIN_PASSWORD") != "" {
			fmt.Fprintln(c.stdout, "Premier démarrage: utilisateur admin, mot de passe pris dans MISSIVE_ADMIN_PASSWORD.")
		} else {
			fmt.Fprintf(c.stdout, "Premier démarrage: utilisateur admin, mot de passe %s\n(affiché une seule fois: notez-le, ou changez-le avec « missive user passwd --login admin »)\n", password)
		}
	}
}

// servers are what newMux mounts, each with its route table.
type servers struct {
	api *api.Server
	web *web.Server
	dav *share.Handler
	oo  *onlyoffice.Handler
}

// newMux mounts everything the HTTP listener serves: the JSON API, the web
// UI, the WebDAV share and the OnlyOffice endpoints. The authorization
// tests build the same, and take every route from the servers' tables.
func newMux(svc *appliance.Service, cfg config.Config, bridge appliance.MailBridge, backups web.Backups, cl web.ClusterFunc, ready func() bool, log *slog.Logger) (*http.ServeMux, servers) {
	mux := http.NewServeMux()
	var sv servers
	sv.api = api.New(svc, log)
	sv.api.Ready = ready
	sv.api.BaseURL = cfg.BaseURL
	sv.api.Mail = bridge
	sv.api.Register(mux)
	sv.web = web.New(svc, log, web.Options{BaseURL: cfg.BaseURL, Mail: bridge, Backup: backups, Quorum: ready, Cluster: cl})
	sv.web.Register(mux)
	sv.dav = share.New(svc, log)
	sv.dav.Templates = share.DraftTemplates{Svc: svc}
	sv.dav.Register(mux)
	sv.oo = onlyoffice.New(svc, log, onlyoffice.Options{})
	sv.oo.Register(mux)
	return mux, sv
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

package main

import (
	"context"
	"log/slog"

	"missive/appliance/config"
	"missive/appliance/control"
	"missive/backup"
	"missive/mailbridge"
)

// startNode is the start-up every command that opens a data dir shares
// (serve, dev seed, quickstart): open the node, then initialise the data
// dir as the first serve does, unless this node joined a cluster (its data
// comes from the others). It returns the administrator's password on a
// first start, "" otherwise; the node is closed if a step fails.
func startNode(ctx context.Context, c *cli, cfg config.Config, log *slog.Logger, open func() (*node, error)) (*node, string, error) {
	n, err := open()
	if err != nil {
		return nil, "", err
	}
	var password string
	if !n.cluster.Joined() {
		if password, err = firstStart(ctx, c, cfg, n, log); err != nil {
			n.close()
			return nil, "", err
		}
	}
	return n, password, nil
}

// services are what runs beside the HTTP server: the control socket, the
// backups, the mail bridge and the GED export.
type services struct {
	bridge  *mailbridge.Bridge
	backups *backup.Manager
	stops   []func()
}

// stop stops what was started, newest first.
func (s *services) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// startServices starts the services of a serving node; on an error, what
// it started is in stop all the same.
func startServices(ctx context.Context, c *cli, cfg config.Config, n *node, fe *frontend, log *slog.Logger) (*services, error) {
	s := &services{}
	ctl, err := control.Listen(cfg.Data, n.svc, log)
	if err != nil {
		return s, err
	}
	var stopBackups func()
	s.backups, stopBackups = startBackup(ctx, cfg, n, ctl, log)
	s.stops = append(s.stops, stopBackups)
	ctl.Handle("cluster.", func(ctx context.Context, req control.Request, _ func(any)) control.Response {
		return control.Respond(n.cluster.Control(ctx, req))
	})
	go ctl.Serve()
	s.stops = append(s.stops, func() { ctl.Close() })

	bridge, stopMail, err := startMail(ctx, c, cfg, n, fe, log)
	if err != nil {
		return s, err
	}
	s.bridge = bridge
	s.stops = append(s.stops, stopMail, startGED(ctx, n, log))
	return s, nil
}

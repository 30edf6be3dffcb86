package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"missive/appliance/config"
	"missive/appliance/control"
	"missive/backup"
)

// startBackup gives the server its backup manager: the daily schedule (on
// the leader only), `missive backup run` through the control socket, and
// the admin page's "Sauvegarder maintenant". The returned function stops
// the schedule.
func startBackup(ctx context.Context, cfg config.Config, n *node, ctl *control.Server, log *slog.Logger) (*backup.Manager, func()) {
	m := newBackupManager(cfg, n, log)
	m.Ctx = ctx
	ctl.Handle("backup.", func(ctx context.Context, req control.Request, emit func(any)) control.Response {
		if req.Op != "backup.run" {
			return control.Response{Error: "opération " + req.Op + " inconnue", Code: 2}
		}
		var rr runRequest
		if len(req.Ext) > 0 {
			if err := json.Unmarshal(req.Ext, &rr); err != nil {
				return control.Response{Error: "requête illisible: " + err.Error(), Code: 2}
			}
		}
		rs, err := m.Run(ctx, backup.RunRequest{Targets: rr.Targets, Passphrase: rr.Passphrase, Trigger: "cli",
			Progress: func(e backup.Event) { emit(e) }})
		if err != nil {
			code := 1
			if errors.Is(err, backup.ErrBusy) {
				code = 4
			}
			return control.Response{Error: err.Error(), Code: code}
		}
		b, err := json.Marshal(toReply(rs))
		if err != nil {
			return control.Response{Error: err.Error(), Code: 1}
		}
		return control.Response{Output: string(b)}
	})
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Schedule(sctx) }()
	return m, func() { cancel(); <-done }
}

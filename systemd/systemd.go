// Package systemd holds Missive's unit file and tells systemd how the
// service is doing: READY=1 once it serves, WATCHDOG=1 while it is healthy,
// STOPPING=1 when it shuts down (Type=notify, WatchdogSec=). Outside systemd
// (no NOTIFY_SOCKET) every call does nothing.
package systemd

import (
	"context"
	_ "embed"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Unit is systemd/missive.service, as packaged (ExecStart /usr/bin/missive,
// configuration /etc/missive/missive.toml, data /var/lib/missive).
//
//go:embed missive.service
var Unit string

// Ready says the service is up; status is shown by systemctl status.
func Ready(status string, log *slog.Logger) {
	notify(daemon.SdNotifyReady+"\nSTATUS="+status, log)
}

// Stopping says a clean shutdown has begun.
func Stopping(log *slog.Logger) { notify(daemon.SdNotifyStopping, log) }

// Watchdog pings systemd at half the unit's WatchdogSec while healthy()
// holds, until ctx ends. A node that stops being healthy stops pinging, and
// systemd restarts it when the watchdog period runs out.
func Watchdog(ctx context.Context, healthy func() bool, log *slog.Logger) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog misconfigured", "err", err)
		return
	}
	if every == 0 {
		return
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		if healthy() {
			notify(daemon.SdNotifyWatchdog, log)
		} else {
			log.Warn("node unhealthy: systemd watchdog not pinged")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func notify(state string, log *slog.Logger) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Warn("systemd notification failed", "state", state, "err", err)
	}
}

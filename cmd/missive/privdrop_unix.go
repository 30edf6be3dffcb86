//go:build unix

package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"

	"missive/appliance/config"
	"missive/installer"
)

// dropPrivileges turns a server started as root into cfg.User once its
// ports are bound. Under systemd the unit starts it as missive with only
// CAP_NET_BIND_SERVICE, and there is nothing to drop.
func dropPrivileges(cfg config.Config, log *slog.Logger) error {
	if cfg.User == "" || os.Geteuid() != 0 {
		return nil
	}
	a, err := installer.LookupAccount(cfg.User)
	if err != nil {
		return &exitError{1, fmt.Sprintf("compte %q (clé user) introuvable: créez-le (useradd --system %s) ou videz la clé user", cfg.User, cfg.User)}
	}
	if a.UID == 0 {
		return nil
	}
	if fi, err := os.Stat(cfg.Data); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != a.UID {
			return &exitError{1, fmt.Sprintf("le dossier %s n'appartient pas à %s: chown -R %s: %s", cfg.Data, cfg.User, cfg.User, cfg.Data)}
		}
	}
	// Group first: once the user is not root it may no longer change groups.
	if err := syscall.Setgroups([]int{a.GID}); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(a.GID); err != nil {
		return fmt.Errorf("setgid %d: %w", a.GID, err)
	}
	if err := syscall.Setuid(a.UID); err != nil {
		return fmt.Errorf("setuid %d: %w", a.UID, err)
	}
	if syscall.Setuid(0) == nil {
		return fmt.Errorf("setuid %d: root privileges still recoverable", a.UID)
	}
	log.Info("privileges dropped", "user", cfg.User, "uid", a.UID, "gid", a.GID)
	return nil
}

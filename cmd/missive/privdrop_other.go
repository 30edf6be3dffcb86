//go:build !unix

package main

import (
	"log/slog"

	"missive/appliance/config"
)

// dropPrivileges: services on this system are given their account by the
// service manager.
func dropPrivileges(config.Config, *slog.Logger) error { return nil }

package main

import (
	"context"
	"fmt"
	"log/slog"

	"missive/appliance"
	"missive/appliance/config"
)

// firstStart initialises an empty data dir as the first `missive serve`
// does: the tenant "default", its root entity, common doctypes and the
// user admin. It returns the admin password it set, or "" when the data
// dir was already initialised. `missive dev seed` shares it so that a
// seeded data dir is one serve would have made.
func firstStart(ctx context.Context, c *cli, cfg config.Config, n *node, log *slog.Logger) (string, error) {
	if _, err := n.store.Reader().Tenant(ctx, "default"); err == nil {
		return "", nil
	}
	password := c.getenv("MISSIVE_ADMIN_PASSWORD")
	if password == "" {
		password = appliance.GeneratePassword()
	}
	if err := n.svc.Bootstrap(ctx, cfg.TenantName, password); err != nil {
		return "", fmt.Errorf("first start: %w", err)
	}
	log.Info("first start: tenant default and user admin created", "data", cfg.Data)
	return password, nil
}

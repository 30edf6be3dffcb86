package main

import (
	"context"
	"errors"
	"os"

	"missive/appliance"
	"missive/appliance/config"
	"missive/cluster"
)

// checkRaftState says what missive serve would say of the raft state: its
// files whole, and as recent as the store. A running server checked it
// when it started.
func (d *doctor) checkRaftState(ctx context.Context, cfg config.Config) {
	if _, err := os.Stat(cfg.Data); err != nil {
		return
	}
	var applied uint64
	if st := d.openStore(ctx, cfg, "Accord du journal raft et de la base"); st != nil {
		n, err := st.AppliedIndex(ctx)
		st.Close()
		if err != nil {
			d.warn("", "Journal raft non comparé à la base: %v.", err)
			return
		}
		applied = n
	}
	decode := func(b []byte) error { _, err := appliance.DecodeCommand(b); return err }
	err := cluster.Check(cfg.Data, applied, decode)
	var se *cluster.StateError
	switch {
	case err == nil:
		d.ok("Journal raft et instantanés intègres, en accord avec la base.")
	case errors.Is(err, cluster.ErrLocked):
		d.ok("Journal raft en service (vérifié par le serveur à son démarrage).")
	case errors.As(err, &se):
		d.fail(se.WayOut(), "%s", se.Problem)
	default:
		d.fail("", "Journal raft non vérifié: %v.", err)
	}
}

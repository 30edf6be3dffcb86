package cluster_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// BenchmarkRegisterLetterRaft is registration as the server does it: the
// Service over a raft node of one on SQLite, with several agents (and the
// mail intake) registering at once. The figure that matters is letters/s.
func BenchmarkRegisterLetterRaft(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	blobs, err := blob.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	n := open(b, dir, appliance.NewApplier(st, apptest.Logger()))
	defer n.Close()
	svc := appliance.NewService(st, blobs, n, apptest.Logger())
	if err := svc.Bootstrap(ctx, "Commune", apptest.AdminPassword); err != nil {
		b.Fatal(err)
	}
	admin, err := svc.Authenticate(ctx, "default", "admin", apptest.AdminPassword, "test")
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			in := appliance.RegisterInput{Category: domain.Incoming, Subject: fmt.Sprintf("Demande n° %d", i), Body: "Madame, Monsieur, je sollicite…"}
			if _, err := svc.RegisterLetter(ctx, admin, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "letters/s")
}

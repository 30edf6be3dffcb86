package appliance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/devseed"
	"missive/appliance/domain"
	"missive/appliance/store/pgtest"
)

// benchRegisterInput turns a generated incoming letter into what the mail room
// types in, with a sender to find or create.
func benchRegisterInput(l devseed.Letter) appliance.RegisterInput {
	c := l.Correspondent
	return appliance.RegisterInput{Category: domain.Incoming, Subject: l.Subject, Body: l.Body, LetterDate: l.LetterDate,
		ArrivalDate: l.ArrivalDate, Priority: l.Priority, Channel: l.Channel,
		Sender: &appliance.ContactInput{Kind: string(c.Kind), FirstName: c.FirstName, LastName: c.LastName, Organization: c.Organization, Email: c.Email}}
}

func benchIncoming(g *devseed.Generator) devseed.Letter {
	for {
		if l := g.Next(); l.Category == domain.Incoming {
			return l
		}
	}
}

// benchDialects runs a benchmark on SQLite and on a throw-away PostgreSQL.
func benchDialects(b *testing.B, fn func(b *testing.B, dsn string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, "") })
	b.Run("postgres", func(b *testing.B) { fn(b, pgtest.DSN(b)) })
}

// BenchmarkRegisterLetter is the Service's share of a registration
// (validation, sender lookup, stamping, Apply) without raft.
func BenchmarkRegisterLetter(b *testing.B) { benchDialects(b, benchRegisterLetter) }

func benchRegisterLetter(b *testing.B, dsn string) {
	env := apptest.New(b, dsn)
	g := devseed.New(devseed.Options{Seed: 1, Today: time.Now()})
	ins := make([]appliance.RegisterInput, b.N)
	for i := range ins {
		ins[i] = benchRegisterInput(benchIncoming(g))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := env.Svc.RegisterLetter(ctx, env.Admin, ins[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply is what every node does for each committed registration:
// decode the raft entry and apply it to the store (letter, sender, full-text
// index, history chain) in one transaction.
func BenchmarkApply(b *testing.B) { benchDialects(b, benchApply) }

func benchApply(b *testing.B, dsn string) {
	env := apptest.New(b, dsn)
	g := devseed.New(devseed.Options{Seed: 2, Today: time.Now()})
	year := time.Now().In(domain.Paris).Year()
	log := apptest.Logger()
	applier := appliance.NewApplier(env.Store, log).WithHistoryKey(env.HistoryKey)
	entries := make([][]byte, b.N)
	for i := range entries {
		l := benchIncoming(g)
		c := l.Correspondent
		p := appliance.LetterRegister{ID: appliance.NewID(), Category: string(domain.Incoming), Year: year, Num: i + 1,
			Number: fmt.Sprintf("%04d/A/%06d", year, i+1), Subject: l.Subject, Body: l.Body, LetterDate: l.LetterDate,
			ArrivalDate: l.ArrivalDate, Priority: string(l.Priority), Status: string(domain.StatusNew), Channel: string(l.Channel),
			Copies: []appliance.CopyPayload{},
			NewSender: &appliance.ContactCreate{ID: appliance.NewID(), Kind: string(c.Kind), FirstName: c.FirstName, LastName: c.LastName,
				Organization: c.Organization, Email: c.Email}}
		cmd, err := appliance.NewCommand(appliance.KindLetterRegister, "default", env.Admin.ID(), time.Now(), p)
		if err != nil {
			b.Fatal(err)
		}
		if entries[i], err = cmd.Encode(); err != nil {
			b.Fatal(err)
		}
	}
	// Past the indexes the bootstrap used through apptest's proposer.
	const base = 1 << 20
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, ok := applier.Apply(base+uint64(i), entries[i]).(*appliance.Result)
		if !ok || res.Err != nil {
			b.Fatalf("apply entry %d: %+v", i, res)
		}
	}
}

package appliance_test

import (
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
)

func backupRun(status, target, at string) store.BackupRun {
	return store.BackupRun{Target: target, Trigger: "schedule", StartedAt: at, FinishedAt: at, Status: status, Error: "cible injoignable"}
}

// A failure alerts the administrators once, however many failures follow,
// until a backup succeeds; then the next failure alerts again.
func TestBackupFailureAlertsOncePerStreak(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		if _, err := env.Svc.SetMailRelay(ctx, env.Admin, appliance.MailRelayInput{Host: "127.0.0.1", Port: 2525, Security: "plain", FromAddress: "mairie@ville.test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.CreateUser(ctx, env.Admin, appliance.UserInput{Login: "dsi", Name: "DSI", Email: "dsi@ville.test", Role: domain.RoleAdmin, Password: "motdepasse-dsi-123"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.CreateUser(ctx, env.Admin, appliance.UserInput{Login: "agent", Name: "Agent", Email: "agent@ville.test", Role: domain.RoleAgent, Password: "motdepasse-agent-123"}); err != nil {
			t.Fatal(err)
		}
		alerts := func() []store.OutboxEntry {
			due, err := env.Store.Reader().OutboxDue(ctx, "9999", 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []store.OutboxEntry
			for _, o := range due {
				if o.Kind == "alert" {
					out = append(out, o)
				}
			}
			return out
		}
		for i, at := range []string{"2026-03-10T01:30:00.000Z", "2026-03-10T02:30:00.000Z", "2026-03-10T03:30:00.000Z"} {
			if err := env.Svc.RecordBackupRun(ctx, backupRun(appliance.BackupFailed, "file:///nas", at)); err != nil {
				t.Fatal(err)
			}
			if n := len(alerts()); n != 1 {
				t.Fatalf("after failure %d: %d alert e-mails, want 1 (to the admin with an address)", i+1, n)
			}
		}
		a := alerts()[0]
		if a.RcptTo != "dsi@ville.test" || !strings.Contains(a.Content, "cible injoignable") || !strings.Contains(a.Content, "Auto-Submitted: auto-generated") {
			t.Fatalf("alert: to %s\n%s", a.RcptTo, a.Content)
		}
		if err := env.Svc.RecordBackupRun(ctx, backupRun(appliance.BackupOK, "file:///nas", "2026-03-10T04:30:00.000Z")); err != nil {
			t.Fatal(err)
		}
		if err := env.Svc.RecordBackupRun(ctx, backupRun(appliance.BackupFailed, "file:///nas", "2026-03-11T02:30:00.000Z")); err != nil {
			t.Fatal(err)
		}
		if n := len(alerts()); n != 2 {
			t.Fatalf("a failure after a success: %d alert e-mails, want 2", n)
		}
		runs, err := env.Svc.BackupRuns(ctx, env.Admin, 10)
		if err != nil || len(runs) != 5 || runs[0].Status != appliance.BackupFailed || !runs[0].Alerted || runs[1].Status != appliance.BackupOK {
			t.Fatalf("runs: %v %+v", err, runs)
		}
		// Agents do not see the backups.
		agent, err := env.Svc.Authenticate(ctx, "default", "agent", "motdepasse-agent-123", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.BackupRuns(ctx, agent, 10); err == nil {
			t.Fatal("an agent read the backup runs")
		}
		// Two nodes recording failures at once both carry the e-mails; Apply
		// queues them only for the first. (Last: it applies beside the
		// test's proposer.)
		defer func() {
			applied, _ := env.Store.AppliedIndex(ctx)
			alert := appliance.BackupAlert{Tenant: "default", Outbox: appliance.BackupAlertMail{ID: "x1", Kind: "alert", MessageID: "backup.x1@ville.test", MailFrom: "mairie@ville.test", RcptTo: "dsi@ville.test", Subject: "s", Content: "c"}}
			cmd, _ := appliance.NewCommand(appliance.KindBackupRun, "default", appliance.SystemActor, time.Now(),
				appliance.BackupRunRecord{Run: store.BackupRun{ID: "r-race", Target: "file:///nas", Trigger: "schedule", StartedAt: "2026-03-11T03:30:00.000Z", FinishedAt: "2026-03-11T03:30:00.000Z", Status: appliance.BackupFailed}, Alerts: []appliance.BackupAlert{alert}})
			b, _ := cmd.Encode()
			res := appliance.NewApplier(env.Store, apptest.Logger()).Apply(applied+1, b).(*appliance.Result)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if n := len(alerts()); n != 2 {
				t.Fatalf("a racing failure queued its e-mails: %d alerts, want 2", n)
			}
		}()
		// An unknown status changes nothing.
		if err := env.Svc.RecordBackupRun(ctx, backupRun("peut-être", "file:///nas", "2026-03-12T02:30:00.000Z")); err == nil {
			t.Fatal("an unknown status was recorded")
		}
	})
}

func TestBackupHealth(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02T15:04", s, domain.Paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	utc := func(s string) string { return at(s).UTC().Format(domain.TimeLayout) }
	ok := func(target, when string) store.BackupRun {
		return store.BackupRun{Target: target, Status: appliance.BackupOK, FinishedAt: utc(when), BackupID: "b"}
	}
	failed := func(target, when string) store.BackupRun {
		return store.BackupRun{Target: target, Status: appliance.BackupFailed, FinishedAt: utc(when), Error: "disque plein"}
	}
	policy := appliance.BackupPolicy{Schedule: "02:30", Targets: []string{"file:///nas", "sftp://x@h/p"}}
	for _, c := range []struct {
		name string
		runs []store.BackupRun // newest first
		p    appliance.BackupPolicy
		now  string
		want string
	}{
		{"nothing configured", nil, appliance.BackupPolicy{}, "2026-03-10T12:00", appliance.BackupStateOff},
		{"never run", nil, policy, "2026-03-10T12:00", appliance.BackupStateNever},
		{"both done today", []store.BackupRun{ok("sftp://x@h/p", "2026-03-10T02:40"), ok("file:///nas", "2026-03-10T02:35")}, policy, "2026-03-10T12:00", appliance.BackupStateOK},
		{"one failed", []store.BackupRun{failed("sftp://x@h/p", "2026-03-10T02:40"), ok("file:///nas", "2026-03-10T02:35"), ok("sftp://x@h/p", "2026-03-09T02:40")}, policy, "2026-03-10T12:00", appliance.BackupStateFailed},
		{"yesterday's, still running today's", []store.BackupRun{ok("sftp://x@h/p", "2026-03-09T02:40"), ok("file:///nas", "2026-03-09T02:35")}, policy, "2026-03-10T03:30", appliance.BackupStateOK},
		{"late", []store.BackupRun{ok("sftp://x@h/p", "2026-03-10T02:40"), ok("file:///nas", "2026-03-09T02:35")}, policy, "2026-03-10T12:00", appliance.BackupStateLate},
		{"a failure for every target", []store.BackupRun{{Target: appliance.BackupAllTargets, Status: appliance.BackupFailed, FinishedAt: utc("2026-03-10T02:30"), Error: "pas de phrase de passe"}, ok("sftp://x@h/p", "2026-03-09T02:40"), ok("file:///nas", "2026-03-09T02:35")}, policy, "2026-03-10T03:00", appliance.BackupStateFailed},
		{"command-line runs only", []store.BackupRun{ok("file:///cle-usb", "2026-01-01T10:00")}, appliance.BackupPolicy{}, "2026-03-10T12:00", appliance.BackupStateOK},
	} {
		h := appliance.CheckBackups(c.runs, c.p, at(c.now))
		if h.State != c.want || h.Message == "" {
			t.Errorf("%s: %s (%s), want %s", c.name, h.State, h.Message, c.want)
		}
	}
}

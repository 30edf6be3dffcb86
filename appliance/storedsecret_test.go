package appliance_test

import (
	"context"
	"errors"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
)

// A password left blank in a form keeps the stored one only for the same
// user on the same server: same host, port and security (TLS mode). A new
// host never receives the old password, nor the same host in clear after
// STARTTLS was dropped.
func TestStoredSecretStaysWithItsServer(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx, admin := context.Background(), env.Admin
	opened := func(purpose, sealed string) string {
		t.Helper()
		p, err := env.Svc.OpenSecret(purpose, sealed)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	relay := appliance.MailRelayInput{Host: "smtp.ville.test", Port: 587, Security: "starttls", Username: "missive", Password: "mdp-relais", FromAddress: "mairie@ville.test"}
	if _, err := env.Svc.SetMailRelay(ctx, admin, relay); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		edit func(*appliance.MailRelayInput)
		kept bool
	}{
		{"unchanged", func(*appliance.MailRelayInput) {}, true},
		{"another host", func(in *appliance.MailRelayInput) { in.Host = "smtp.attaquant.test" }, false},
		{"another port", func(in *appliance.MailRelayInput) { in.Port = 2525 }, false},
		{"STARTTLS dropped", func(in *appliance.MailRelayInput) { in.Security = "plain" }, false},
	} {
		in := relay
		in.Password, in.KeepPassword = "", true
		c.edit(&in)
		// Tried first: the test dials with the stored password only if kept.
		tried, err := env.Svc.MailRelayToTry(ctx, admin, in)
		var fe appliance.FieldErrors
		if c.kept != (err == nil) || (!c.kept && (!errors.As(err, &fe) || fe["password"] == "")) {
			t.Fatalf("try relay %s: %v", c.what, err)
		}
		if c.kept && opened("relay", tried.Secret) != "mdp-relais" {
			t.Fatalf("try relay %s: the stored password is not used", c.what)
		}
		r, err := env.Svc.SetMailRelay(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := opened("relay", r.Secret); (got == "mdp-relais") != c.kept {
			t.Fatalf("relay %s: stored password %q kept=%v", c.what, got, got != "")
		}
		// Back to the first settings, with the password, for the next case.
		if _, err := env.Svc.SetMailRelay(ctx, admin, relay); err != nil {
			t.Fatal(err)
		}
	}

	mb := appliance.MailboxInput{Host: "imap.ville.test", Port: 993, Security: "tls", Username: "courrier", Password: "mdp-imap", Folder: "INBOX", DoneFolder: "Traités"}
	saved, err := env.Svc.AddMailbox(ctx, admin, mb)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		edit func(*appliance.MailboxInput)
		kept bool
	}{
		{"unchanged", func(*appliance.MailboxInput) {}, true},
		{"another host", func(in *appliance.MailboxInput) { in.Host = "imap.attaquant.test" }, false},
		{"another port", func(in *appliance.MailboxInput) { in.Port = 143 }, false},
		{"TLS dropped", func(in *appliance.MailboxInput) { in.Security = "plain" }, false},
	} {
		for _, id := range []string{saved.ID, ""} {
			in := mb
			in.Password = ""
			c.edit(&in)
			tried, err := env.Svc.MailboxToTry(ctx, admin, id, in)
			if c.kept != (err == nil) {
				t.Fatalf("try mailbox %s (id %q): %v", c.what, id, err)
			}
			if c.kept && opened("mailbox", tried.Secret) != "mdp-imap" {
				t.Fatalf("try mailbox %s: the stored password is not used", c.what)
			}
		}
	}

	ged := appliance.GEDTargetInput{URL: "https://cloud.ville.test/remote.php/dav/files/courrier/", Username: "courrier", Password: "mdp-ged"}
	if _, err := env.Svc.SetGEDTarget(ctx, admin, ged); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		url  string
		kept bool
	}{
		{"https://cloud.ville.test/remote.php/dav/files/courrier/Archives/", true},
		{"https://cloud.ville.test:443/remote.php/dav/files/courrier/", true},
		{"https://cloud.attaquant.test/remote.php/dav/files/courrier/", false},
		{"https://cloud.ville.test:8443/remote.php/dav/files/courrier/", false},
		{"http://cloud.ville.test/remote.php/dav/files/courrier/", false},
	} {
		g, err := env.Svc.SetGEDTarget(ctx, admin, appliance.GEDTargetInput{URL: c.url, Username: "courrier"})
		if err != nil {
			t.Fatal(err)
		}
		if got := opened("ged", g.Secret); (got == "mdp-ged") != c.kept {
			t.Fatalf("GED %s: stored password %q", c.url, got)
		}
		if _, err := env.Svc.SetGEDTarget(ctx, admin, ged); err != nil {
			t.Fatal(err)
		}
	}
}

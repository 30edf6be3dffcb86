package appliance_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

func TestSenderCreatedThenReusedByEmail(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		l1 := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Première lettre",
			Sender: &appliance.ContactInput{FirstName: "Éloïse", LastName: "Martin", Email: "Eloise.Martin@Example.fr"}})
		if got := env.letter(t, l1.ID); l1.SenderID == "" || got.SenderID != l1.SenderID || got.SenderName != "Éloïse Martin" {
			t.Fatalf("sender %q %q, want a new contact Éloïse Martin", got.SenderID, got.SenderName)
		}
		// The same address in another case is the same person.
		l2 := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Deuxième lettre",
			Sender: &appliance.ContactInput{Name: "E. Martin", Email: "eloise.martin@EXAMPLE.FR"}})
		if l2.SenderID != l1.SenderID {
			t.Fatalf("second letter's sender %s, want the existing contact %s", l2.SenderID, l1.SenderID)
		}
		cs, err := env.Svc.Contacts(ctx, env.Admin, "martin", 100, 0)
		if err != nil || len(cs) != 1 || cs[0].Email != "Eloise.Martin@Example.fr" {
			t.Fatalf("contacts named martin: %+v, %v; want the first one alone", cs, err)
		}
		// Creating it by hand is refused with a message on the field.
		_, err = env.Svc.CreateContact(ctx, env.Admin, appliance.ContactInput{LastName: "Autre", Email: "ELOISE.MARTIN@example.fr"})
		var fe appliance.FieldErrors
		if !errors.As(err, &fe) || fe["email"] == "" || !errors.Is(err, appliance.ErrInvalid) {
			t.Fatalf("duplicate contact: %v, want a field error on email", err)
		}
		// A command stamped elsewhere with the same address is a conflict
		// at Apply: the unique key is in the database.
		r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindContactCreate,
			appliance.ContactCreate{ID: appliance.NewID(), Kind: "person", LastName: "Doublon", Email: " eloise.martin@example.fr"})
		if !errors.Is(r.Err, appliance.ErrConflict) {
			t.Fatalf("apply duplicate contact: %v, want ErrConflict", r.Err)
		}
		// Two registrations stamped before either applied, each with the
		// address as a new sender: the second one uses the first's contact.
		newSender := func() *appliance.ContactCreate {
			return &appliance.ContactCreate{ID: appliance.NewID(), Kind: "person", LastName: "Nouveau", Email: "nouveau@example.fr"}
		}
		var letterIDs []string
		for num := 3; num <= 4; num++ {
			p := appliance.LetterRegister{ID: appliance.NewID(), Category: "incoming", Year: 2026, Num: num, Number: fmt.Sprintf("2026/A/%06d", num),
				Subject: "Course", ArrivalDate: "2026-03-10", Priority: "normal", Status: "new", Channel: "email", Copies: []appliance.CopyPayload{}, NewSender: newSender()}
			if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterRegister, p); r.Err != nil {
				t.Fatalf("apply registration %d: %v", num, r.Err)
			}
			letterIDs = append(letterIDs, p.ID)
		}
		a, b := env.letter(t, letterIDs[0]), env.letter(t, letterIDs[1])
		if a.SenderID == "" || a.SenderID != b.SenderID {
			t.Fatalf("racing new senders: %q and %q, want one contact", a.SenderID, b.SenderID)
		}
		if cs, _ := env.Svc.Contacts(ctx, env.Admin, "nouveau", 100, 0); len(cs) != 1 {
			t.Fatalf("%d contacts « nouveau », want 1", len(cs))
		}
	})
}

func TestLetterActions(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		mairie := env.root(t)
		voirie := env.entity(t, mairie.ID, "VOIRIE", "Voirie")
		urba := env.entity(t, mairie.ID, "URBA", "Urbanisme")
		dt, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "RECL", Label: "Réclamation", DelayDays: 10})
		if err != nil {
			t.Fatal(err)
		}
		agent := env.user(t, "agent", domain.RoleAgent, member(voirie))

		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Nid de poule"})
		if l.Status != domain.StatusNew || l.EntityID != "" {
			t.Fatalf("new letter: status %s entity %q", l.Status, l.EntityID)
		}

		t.Run("qualify", func(t *testing.T) {
			q, err := env.Svc.Qualify(ctx, env.Admin, l.ID, appliance.FullQualify(appliance.RegisterInput{Subject: "Nid de poule rue Hugo", EntityID: urba.ID,
				DoctypeID: dt.ID, Priority: domain.PriorityHigh, Copies: []domain.Copy{{Kind: "user", Ref: agent.ID()}}}))
			if err != nil {
				t.Fatal(err)
			}
			if q.Subject != "Nid de poule rue Hugo" || q.EntityID != urba.ID || q.Status != domain.StatusInProgress ||
				q.Priority != domain.PriorityHigh || q.DueDate != "2026-03-24" || len(q.Copies) != 1 {
				t.Fatalf("qualified letter: %+v", q)
			}
			if got := env.letter(t, l.ID); got.Subject != q.Subject || got.DueDate != q.DueDate {
				t.Fatalf("stored letter %+v differs from the returned one", got)
			}
		})

		t.Run("redirect with note", func(t *testing.T) {
			r, err := env.Svc.Redirect(ctx, env.Admin, l.ID, appliance.RedirectInput{EntityID: voirie.ID, AssigneeID: agent.ID(), Note: "  Pour suite à donner  "})
			if err != nil {
				t.Fatal(err)
			}
			if r.EntityID != voirie.ID || r.AssigneeID != agent.ID() || r.Status != domain.StatusInProgress {
				t.Fatalf("redirected letter: %+v", r)
			}
			v, err := env.Svc.View(ctx, agent, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(v.Notes, func(n domain.Note) bool { return n.Text == "Pour suite à donner" }) {
				t.Fatalf("notes %+v lack the redirect note", v.Notes)
			}
			last := v.History[len(v.History)-1]
			if last.Kind != string(appliance.KindLetterRedirect) || !strings.Contains(last.Summary, "Voirie") {
				t.Fatalf("last history entry %+v, want the redirect to Voirie", last)
			}
		})

		t.Run("restricted note", func(t *testing.T) {
			other := env.user(t, "urbaniste", domain.RoleAgent, member(urba))
			// Urbanisme sees the letter through an entity copy.
			if _, err := env.Svc.Qualify(ctx, env.Admin, l.ID, appliance.FullQualify(appliance.RegisterInput{Subject: "Nid de poule rue Hugo", EntityID: voirie.ID,
				AssigneeID: agent.ID(), DoctypeID: dt.ID, Copies: []domain.Copy{{Kind: "entity", Ref: urba.ID}}})); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Svc.AddNote(ctx, env.Admin, l.ID, appliance.NoteInput{Text: "Avis xylophone réservé", Entities: []string{urba.ID}}); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Svc.AddNote(ctx, other, l.ID, appliance.NoteInput{Text: "Remarque zeppelin publique"}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				who        string
				a          *appliance.Actor
				restricted bool
			}{{"admin", env.Admin, true}, {"urbanisme", other, true}, {"voirie", agent, false}} {
				v, err := env.Svc.View(ctx, c.a, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				for _, n := range v.Notes {
					texts = append(texts, n.Text)
				}
				all := strings.Join(texts, "|")
				if strings.Contains(all, "xylophone") != c.restricted || !strings.Contains(all, "zeppelin") {
					t.Errorf("%s reads notes %q; restricted note visible: want %v", c.who, all, c.restricted)
				}
				for _, h := range v.History {
					if strings.Contains(h.Payload+h.Summary, "xylophone") {
						t.Errorf("%s reads the restricted note in the history: %+v", c.who, h)
					}
				}
			}
			// Only public notes are indexed, so nobody finds the restricted text.
			for q, want := range map[string]int{"xylophone": 0, "zeppelin": 1} {
				if _, total := env.list(t, env.Admin, store.LetterFilter{Query: q}); total != want {
					t.Errorf("search %q: %d letters, want %d", q, total, want)
				}
			}
		})

		t.Run("documents and versions", func(t *testing.T) {
			d, err := env.Svc.Attach(ctx, agent, l.ID, "", appliance.Upload{Name: "C:\\scans\\courrier.pdf", Role: domain.DocMain, Body: strings.NewReader("%PDF-1.4 première version")})
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != "courrier.pdf" || len(d.Versions) != 1 || d.Versions[0].Version != 1 || d.Versions[0].MIME != "application/pdf" {
				t.Fatalf("attached document %+v", d)
			}
			d2, err := env.Svc.Attach(ctx, agent, l.ID, d.ID, appliance.Upload{Name: "ignored.txt", Body: strings.NewReader("%PDF-1.4 deuxième version")})
			if err != nil {
				t.Fatal(err)
			}
			if d2.ID != d.ID || d2.Name != "courrier.pdf" || len(d2.Versions) != 2 || d2.Versions[1].Version != 2 || d2.Versions[0].SHA256 == d2.Versions[1].SHA256 {
				t.Fatalf("new version %+v", d2)
			}
			v, err := env.Svc.View(ctx, agent, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Documents) != 1 || len(v.Documents[0].Versions) != 2 {
				t.Fatalf("view documents %+v, want one with two versions", v.Documents)
			}
			for version, want := range map[int]string{1: "%PDF-1.4 première version", 2: "%PDF-1.4 deuxième version", 0: "%PDF-1.4 deuxième version"} {
				_, _, f, err := env.Svc.OpenDocument(ctx, agent, d.ID, version)
				if err != nil {
					t.Fatalf("open version %d: %v", version, err)
				}
				b, err := io.ReadAll(f)
				f.Close()
				if err != nil || string(b) != want {
					t.Errorf("version %d reads %q, %v; want %q", version, b, err, want)
				}
			}
			if _, _, _, err := env.Svc.OpenDocument(ctx, agent, d.ID, 3); !errors.Is(err, appliance.ErrNotFound) {
				t.Errorf("version 3: %v, want ErrNotFound", err)
			}
			// A document of another letter is not a version of this one.
			other := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Autre"})
			if _, err := env.Svc.Attach(ctx, env.Admin, other.ID, d.ID, appliance.Upload{Body: strings.NewReader("x")}); !errors.Is(err, appliance.ErrNotFound) {
				t.Errorf("version of another letter's document: %v, want ErrNotFound", err)
			}
		})

		t.Run("links", func(t *testing.T) {
			other := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Réponse au nid de poule", EntityID: voirie.ID})
			if err := env.Svc.Link(ctx, agent, l.ID, other.ID); err != nil {
				t.Fatal(err)
			}
			for _, c := range [][2]*domain.Letter{{l, other}, {other, l}} {
				v, err := env.Svc.View(ctx, agent, c[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(v.Links) != 1 || v.Links[0].LetterID != c[1].ID || v.Links[0].Number != c[1].Number {
					t.Errorf("links of %s: %+v, want %s", c[0].Number, v.Links, c[1].Number)
				}
			}
			before := env.dump(t)
			wantErr(t, "link to itself", env.Svc.Link(ctx, agent, l.ID, l.ID), appliance.ErrInvalid)
			wantErr(t, "link again", env.Svc.Link(ctx, agent, l.ID, other.ID), appliance.ErrConflict)
			wantErr(t, "link backwards", env.Svc.Link(ctx, agent, other.ID, l.ID), appliance.ErrConflict)
			// Apply holds the same rules for a command that skipped the Service.
			r := env.applyDirect(t, "default", agent.ID(), appliance.KindLetterLink, appliance.LetterLink{LetterID: other.ID, OtherID: l.ID})
			wantErr(t, "apply link again", r.Err, appliance.ErrConflict)
			r = env.applyDirect(t, "default", agent.ID(), appliance.KindLetterLink, appliance.LetterLink{LetterID: l.ID, OtherID: l.ID})
			wantErr(t, "apply link to itself", r.Err, appliance.ErrInvalid)
			if !bytes.Equal(before, env.dump(t)) {
				t.Error("a refused link changed the store")
			}
		})

		t.Run("close and reopen", func(t *testing.T) {
			c, err := env.Svc.Close(ctx, agent, l.ID, "Réparé")
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != domain.StatusClosed || c.ClosedAt == "" {
				t.Fatalf("closed letter %+v", c)
			}
			before := env.dump(t)
			_, err = env.Svc.Close(ctx, agent, l.ID, "")
			wantErr(t, "close again", err, appliance.ErrConflict)
			_, err = env.Svc.Redirect(ctx, agent, l.ID, appliance.RedirectInput{EntityID: urba.ID})
			wantErr(t, "redirect a closed letter", err, appliance.ErrConflict)
			r := env.applyDirect(t, "default", agent.ID(), appliance.KindLetterClose, appliance.LetterClose{LetterID: l.ID, NoteID: appliance.NewID(), Note: "encore"})
			wantErr(t, "apply close again", r.Err, appliance.ErrConflict)
			if !bytes.Equal(before, env.dump(t)) {
				t.Error("a refused close changed the store")
			}
			o, err := env.Svc.Reopen(ctx, agent, l.ID, "Le trou est revenu")
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != domain.StatusInProgress || o.ClosedAt != "" {
				t.Fatalf("reopened letter %+v", o)
			}
			_, err = env.Svc.Reopen(ctx, agent, l.ID, "")
			wantErr(t, "reopen an open letter", err, appliance.ErrConflict)
		})

		t.Run("invalid requests change nothing", func(t *testing.T) {
			before, entries := env.dump(t), env.historyLen(t)
			_, err := env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: "sideways", Subject: "x"})
			wantErr(t, "register with a bad category", err, appliance.ErrInvalid)
			_, err = env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "  ", ArrivalDate: "10/03/2026"})
			wantErr(t, "register without subject", err, appliance.ErrInvalid)
			_, err = env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "x", EntityID: "nope"})
			wantErr(t, "register to an unknown entity", err, appliance.ErrInvalid)
			_, err = env.Svc.Qualify(ctx, env.Admin, l.ID, appliance.QualifyInput{Subject: new("")})
			wantErr(t, "qualify without subject", err, appliance.ErrInvalid)
			_, err = env.Svc.Redirect(ctx, env.Admin, l.ID, appliance.RedirectInput{})
			wantErr(t, "redirect nowhere", err, appliance.ErrInvalid)
			_, err = env.Svc.AddNote(ctx, env.Admin, l.ID, appliance.NoteInput{Text: "x", Entities: []string{"nope"}})
			wantErr(t, "note for an unknown entity", err, appliance.ErrInvalid)
			_, err = env.Svc.AddNote(ctx, env.Admin, "nope", appliance.NoteInput{Text: "x"})
			wantErr(t, "note on an unknown letter", err, appliance.ErrNotFound)
			r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterRedirect, appliance.LetterRedirect{LetterID: l.ID, EntityID: "nope"})
			wantErr(t, "apply redirect to an unknown entity", r.Err, appliance.ErrNotFound)
			if got := env.historyLen(t); got != entries {
				t.Errorf("history has %d entries after refused requests, had %d", got, entries)
			}
			if !bytes.Equal(before, env.dump(t)) {
				t.Error("a refused request changed the store")
			}
		})
	})
}

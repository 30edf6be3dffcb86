package appliance_test

import (
	"errors"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// TestIncompleteRequestDueDates: declaring a request incomplete stops its
// delay; once the pieces come it runs again. SVA and normal: counted
// afresh from their receipt; SVR: suspended from the request until they
// came, or until the deadline if later (CRPA L114-5).
func TestIncompleteRequestDueDates(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		byCode := map[string]string{}
		ds, err := env.Svc.Doctypes(ctx, env.Admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			byCode[d.Code] = d.ID
		}
		reg := func(code string) *domain.Letter {
			return env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande " + code, DoctypeID: byCode[code]})
		}
		incomplete := func(l *domain.Letter, deadline string) *appliance.IncompleteResult {
			t.Helper()
			r, err := env.Svc.MarkIncomplete(ctx, env.Admin, l.ID, appliance.IncompleteInput{Missing: "Plan de situation\r\nPhotographies du terrain", Deadline: deadline})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		received := func(l *domain.Letter, on string) *domain.Letter {
			t.Helper()
			got, err := env.Svc.PiecesReceived(ctx, env.Admin, l.ID, appliance.PiecesInput{ReceivedOn: on})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		// Today is Tuesday 10 March 2026; SVA and SVR letters are due two
		// months later, on 10 May.
		sva, svr, svrLate, normal := reg("DEMANDE-SVA"), reg("DEMANDE-SVR"), reg("DEMANDE-SVR"), reg("COURRIER")
		if sva.DueDate != "2026-05-10" || svr.DueDate != "2026-05-10" || normal.DueDate != "2026-03-31" {
			t.Fatalf("due dates at registration: %s %s %s", sva.DueDate, svr.DueDate, normal.DueDate)
		}

		r := incomplete(sva, "2026-04-09")
		if r.Letter.DueDate != "" || !r.Pieces.Awaited() || r.Pieces.AskedOn != "2026-03-10" || r.Pieces.DueBefore != "2026-05-10" ||
			strings.Join(r.Pieces.MissingList(), "|") != "Plan de situation|Photographies du terrain" {
			t.Errorf("SVA declared incomplete: due %q, pieces %+v", r.Letter.DueDate, r.Pieces)
		}
		// SVR: suspended for the 30 days given: the implicit refusal is at
		// the latest on 9 June.
		if r := incomplete(svr, "2026-04-09"); r.Letter.DueDate != "2026-06-09" {
			t.Errorf("SVR declared incomplete: due %s, want 2026-06-09", r.Letter.DueDate)
		}
		incomplete(svrLate, "2026-04-09")
		if r := incomplete(normal, "2026-03-20"); r.Letter.DueDate != "" {
			t.Errorf("normal declared incomplete: due %s", r.Letter.DueDate)
		}
		v, err := env.Svc.View(ctx, env.Admin, sva.ID)
		if err != nil || !v.Pieces.Awaited() || v.Pieces.Deadline != "2026-04-09" {
			t.Fatalf("view of the incomplete letter: %+v, %v", v.Pieces, err)
		}
		// Qualified with another doctype meanwhile, it still waits.
		if q, err := env.Svc.Qualify(ctx, env.Admin, normal.ID, appliance.QualifyInput{DoctypeID: ptr(byCode["RECLAMATION"])}); err != nil || q.DueDate != "" {
			t.Errorf("qualified while the pieces are awaited: due %q, %v", q.DueDate, err)
		}

		env.Clock.Set(t, "2026-03-20T10:00")
		if l := received(sva, ""); l.DueDate != "2026-05-20" {
			t.Errorf("SVA pieces received 20 March: due %s, want two months later, 2026-05-20", l.DueDate)
		}
		if l := received(svr, "2026-03-20"); l.DueDate != "2026-05-20" {
			t.Errorf("SVR pieces received 20 March: due %s, want 10 May + 10 days = 2026-05-20", l.DueDate)
		}
		if l := received(normal, "2026-03-18"); l.DueDate != "2026-04-17" {
			t.Errorf("réclamation pieces received 18 March: due %s, want 21 working days later (Easter Monday off), 2026-04-17", l.DueDate)
		}
		env.Clock.Set(t, "2026-04-20T10:00")
		if l := received(svrLate, ""); l.DueDate != "2026-06-09" {
			t.Errorf("SVR pieces received after the deadline: due %s, want 2026-06-09 (suspended until the deadline only)", l.DueDate)
		}
		v, _ = env.Svc.View(ctx, env.Admin, sva.ID)
		if v.Pieces.Awaited() || v.Pieces.ReceivedOn != "2026-03-20" {
			t.Errorf("after receipt: %+v", v.Pieces)
		}
		h, _ := env.Svc.TenantHistory(ctx, env.Admin, 1000, 0)
		var summaries []string
		for _, e := range h {
			if e.LetterID == sva.ID {
				summaries = append(summaries, e.Summary)
			}
		}
		if got := strings.Join(summaries, "|"); !strings.Contains(got, "Demande incomplète : pièces à produire avant le 09/04/2026 ; délai de traitement suspendu") ||
			!strings.Contains(got, "Pièces reçues le 20/03/2026 ; nouvelle date limite : 20/05/2026") {
			t.Errorf("history of the SVA letter: %s", got)
		}
		// Asked again once the first pieces came.
		if r := incomplete(sva, "2026-05-01"); r.Letter.DueDate != "" || r.Pieces.DueBefore != "2026-05-20" {
			t.Errorf("asked again: %+v, due %s", r.Pieces, r.Letter.DueDate)
		}
	})
}

// TestIncompleteRequestRefusals: what cannot be asked or recorded is
// refused in French and changes nothing.
func TestIncompleteRequestRefusals(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		l := env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande"})
		out := env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Outgoing, Subject: "Réponse"})
		for _, c := range []struct {
			id    string
			in    appliance.IncompleteInput
			field string
			msg   string
		}{
			{l.ID, appliance.IncompleteInput{Missing: " ", Deadline: "2026-04-10"}, "missing", "obligatoire"},
			{l.ID, appliance.IncompleteInput{Missing: "Plan", Deadline: "10/04/2026"}, "deadline", "date invalide (AAAA-MM-JJ)"},
			{l.ID, appliance.IncompleteInput{Missing: "Plan", Deadline: "2026-03-10"}, "deadline", "une date après aujourd'hui"},
			{l.ID, appliance.IncompleteInput{Missing: "Plan", Deadline: "2027-03-11"}, "deadline", "un an au plus"},
			{out.ID, appliance.IncompleteInput{Missing: "Plan", Deadline: "2026-04-10"}, "missing", "seule une demande reçue (courrier arrivée) peut être incomplète"},
		} {
			_, err := env.Svc.MarkIncomplete(ctx, env.Admin, c.id, c.in)
			var fe appliance.FieldErrors
			if !errors.As(err, &fe) || fe[c.field] != c.msg {
				t.Errorf("%+v: %v, want %s: %q", c.in, err, c.field, c.msg)
			}
		}
		if v, _ := env.Svc.View(ctx, env.Admin, l.ID); v.Pieces != nil {
			t.Fatalf("a refused request recorded pieces: %+v", v.Pieces)
		}
		_, err := env.Svc.PiecesReceived(ctx, env.Admin, l.ID, appliance.PiecesInput{})
		wantErr(t, "pieces received when none asked", err, appliance.ErrConflict)

		in := appliance.IncompleteInput{Missing: "Plan", Deadline: "2026-04-10"}
		if _, err := env.Svc.MarkIncomplete(ctx, env.Admin, l.ID, in); err != nil {
			t.Fatal(err)
		}
		_, err = env.Svc.MarkIncomplete(ctx, env.Admin, l.ID, in)
		wantErr(t, "asked twice", err, appliance.ErrConflict)
		for _, c := range []struct{ on, msg string }{
			{"2026-03-09", "pas avant la demande de pièces (10/03/2026)"},
			{"2026-03-11", "pas après aujourd'hui"},
			{"hier", "date invalide (AAAA-MM-JJ)"},
		} {
			_, err := env.Svc.PiecesReceived(ctx, env.Admin, l.ID, appliance.PiecesInput{ReceivedOn: c.on})
			var fe appliance.FieldErrors
			if !errors.As(err, &fe) || fe["received_on"] != c.msg {
				t.Errorf("received on %s: %v, want %q", c.on, err, c.msg)
			}
		}
		// Someone outside the letter's perimeter sees nothing of it.
		other := env.entity(t, "", "AUTRE", "Autre service")
		stranger := env.user(t, "etranger", domain.RoleAgent, member(other))
		_, err = env.Svc.MarkIncomplete(ctx, stranger, l.ID, in)
		wantErr(t, "stranger", err, appliance.ErrNotFound)
		theirs := env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande au service", EntityID: other.ID})
		elected := env.user(t, "elu", domain.RoleElected, member(other))
		_, err = env.Svc.MarkIncomplete(ctx, elected, theirs.ID, in)
		wantErr(t, "elected", err, appliance.ErrForbidden)
		// Closed, it is not declared incomplete.
		c := env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Close"})
		if _, err := env.Svc.Close(ctx, env.Admin, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		_, err = env.Svc.MarkIncomplete(ctx, env.Admin, c.ID, in)
		wantErr(t, "closed", err, appliance.ErrConflict)
		// Apply checks commands stamped elsewhere.
		if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterIncomplete, appliance.LetterIncomplete{LetterID: c.ID, Deadline: "2026-04-10",
			AskedOn: "2026-03-10"}); !errors.Is(r.Err, appliance.ErrInvalid) {
			t.Errorf("apply without pieces: %v", r.Err)
		}
		if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterIncomplete, appliance.LetterIncomplete{LetterID: out.ID, Missing: "Plan",
			Deadline: "2026-04-10", AskedOn: "2026-03-10"}); !errors.Is(r.Err, appliance.ErrInvalid) {
			t.Errorf("apply to an outgoing letter: %v", r.Err)
		}
	})
}

// TestIncompleteRequestNotice: the sender is told by e-mail (a message
// held until the mail bridge words it), on paper when they have only a
// postal address, or by the acknowledgement itself while it is held.
func TestIncompleteRequestNotice(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		if _, err := env.Svc.AddMailAddress(ctx, env.Admin, appliance.MailAddressInput{Address: "mairie@ville.test"}); err != nil {
			t.Fatal(err)
		}
		in := appliance.IncompleteInput{Missing: "Plan", Deadline: "2026-04-10"}
		mark := func(sender *appliance.ContactInput) (*domain.Letter, string) {
			t.Helper()
			l := env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande", Sender: sender})
			r, err := env.Svc.MarkIncomplete(ctx, env.Admin, l.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			return l, r.Notice
		}
		l, notice := mark(&appliance.ContactInput{Name: "Jeanne Martin", Email: "Jeanne.Martin@example.fr"})
		if notice != appliance.NoticeEmail {
			t.Errorf("sender with an e-mail address: notice %q", notice)
		}
		out, err := env.Store.Reader().OutboxForLetter(ctx, l.ID)
		if err != nil || len(out) != 1 || out[0].Kind != "incomplete" || out[0].Status != appliance.OutboxHeld || out[0].RcptTo != "jeanne.martin@example.fr" ||
			out[0].MailFrom != "mairie@ville.test" || !strings.HasPrefix(out[0].MessageID, "incomplete.") {
			t.Fatalf("outbox: %+v, %v", out, err)
		}
		held, err := env.Store.Reader().OutboxHeld(ctx, 10)
		if err != nil || len(held) != 1 || held[0].ID != out[0].ID {
			t.Errorf("the new letter's notice is not ready to be worded: %+v, %v", held, err)
		}
		if _, notice := mark(&appliance.ContactInput{Name: "Paul Durand", Address: "3 rue Haute", Postcode: "67000", City: "Saint-Martin"}); notice != appliance.NoticePaper {
			t.Errorf("sender with a postal address only: notice %q", notice)
		}
		if _, notice := mark(nil); notice != appliance.NoticeNone {
			t.Errorf("no sender: notice %q", notice)
		}
	})
}

func ptr[T any](v T) *T { return &v }

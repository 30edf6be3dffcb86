package appliance_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

func TestSearchFullText(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		reg := func(subject, body string, sender *appliance.ContactInput) *domain.Letter {
			return env.register(t, env.Admin, appliance.RegisterInput{Subject: subject, Body: body, Sender: sender})
		}
		elagage := reg("Élagage des platanes", "Les branches touchent la façade.", &appliance.ContactInput{FirstName: "Éloïse", LastName: "Lefèvre", Email: "eloise.lefevre@example.fr"})
		plain := reg("Demande d'elagage", "Sans accents dans le texte", &appliance.ContactInput{FirstName: "Eloise", LastName: "Durand"})
		urba := reg("Certificat d'urbanisme", "Demande pour la parcelle AB 12.", &appliance.ContactInput{Organization: "Cabinet Géomètre Dupuis"})
		permis := reg("Permis de construire une véranda", "Dépôt du dossier complet.", nil)
		inverse := reg("Construire sans permis", "Signalement d'une construction.", nil)
		noted := reg("Réclamation bruit", "Nuisances nocturnes.", nil)
		oeuvre := reg("Restauration de l'Œuvre", "", nil)
		if _, err := env.Svc.AddNote(ctx, env.Admin, noted.ID, appliance.NoteInput{Text: "Voir avec la gendarmerie"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.AddNote(ctx, env.Admin, noted.ID, appliance.NoteInput{Text: "Plainte confidentielle du voisin", Entities: []string{env.root(t).ID}}); err != nil {
			t.Fatal(err)
		}

		name := map[string]string{elagage.ID: "elagage", plain.ID: "plain", urba.ID: "urba", permis.ID: "permis", inverse.ID: "inverse", noted.ID: "noted", oeuvre.ID: "oeuvre"}
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"élagage", []string{"elagage", "plain"}},
			{"elagage", []string{"elagage", "plain"}},
			{"ÉLAGAGE", []string{"elagage", "plain"}},
			{"platanes", []string{"elagage"}},
			{"facade", []string{"elagage"}},
			{"Éloïse", []string{"elagage", "plain"}},
			{"eloise", []string{"elagage", "plain"}},
			{"lefevre", []string{"elagage"}},
			{"Durand", []string{"plain"}},
			{"eloise.lefevre@example.fr", []string{"elagage"}},
			{"géomètre", []string{"urba"}},
			{"dupuis", []string{"urba"}},
			{"urba*", []string{"urba"}},
			{"urbanisme", []string{"urba"}},
			{"urba", nil},
			{`"permis de construire"`, []string{"permis"}},
			{`"construire sans"`, []string{"inverse"}},
			{"permis construire", []string{"inverse", "permis"}},
			{"permis véranda", []string{"permis"}},
			{"gendarmerie", []string{"noted"}},
			{"voisin", nil},
			{"confidentielle", nil},
			{noted.Number, []string{"noted"}},
			{strings.ReplaceAll(noted.Number, "/", " "), []string{"noted"}},
			{"oeuvre", []string{"oeuvre"}},
			{"œuvre", []string{"oeuvre"}},
			{"l'Œuvre", []string{"oeuvre"}},
			{"introuvable", nil},
			{`" * "`, nil},
		} {
			ls, total := env.list(t, env.Admin, store.LetterFilter{Query: c.q})
			var got []string
			for _, l := range ls {
				got = append(got, name[l.ID])
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) || total != len(c.want) {
				t.Errorf("search %q: %v (total %d), want %v", c.q, got, total, c.want)
			}
		}
	})
}

func TestSearchFilters(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		voirie := env.entity(t, env.root(t).ID, "VOIRIE", "Voirie")
		dt, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "RECL", Label: "Réclamation", DelayDays: 2})
		if err != nil {
			t.Fatal(err)
		}
		reg := func(name string, in appliance.RegisterInput) *domain.Letter {
			in.Subject = "Dossier " + name
			return env.register(t, env.Admin, in)
		}
		a := reg("a", appliance.RegisterInput{Category: domain.Incoming, ArrivalDate: "2026-03-02", EntityID: voirie.ID, DoctypeID: dt.ID})
		agent := env.user(t, "agent", domain.RoleAgent)
		b := reg("b", appliance.RegisterInput{Category: domain.Outgoing, ArrivalDate: "2026-03-05", AssigneeID: agent.ID()})
		c := reg("c", appliance.RegisterInput{Category: domain.Internal, ArrivalDate: "2026-03-09", EntityID: voirie.ID})
		d := reg("d", appliance.RegisterInput{Category: domain.Incoming, ArrivalDate: "2026-03-10", DoctypeID: dt.ID})
		if _, err := env.Svc.Close(ctx, env.Admin, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		name := map[string]string{a.ID: "a", b.ID: "b", c.ID: "c", d.ID: "d"}
		for _, f := range []struct {
			what string
			f    store.LetterFilter
			want string
		}{
			{"all", store.LetterFilter{}, "a b c d"},
			{"incoming", store.LetterFilter{Category: domain.Incoming}, "a d"},
			{"outgoing", store.LetterFilter{Category: domain.Outgoing}, "b"},
			{"closed", store.LetterFilter{Status: domain.StatusClosed}, "c"},
			{"new", store.LetterFilter{Status: domain.StatusNew}, "d"},
			{"in progress", store.LetterFilter{Status: domain.StatusInProgress}, "a b"},
			{"assignee", store.LetterFilter{AssigneeID: agent.ID()}, "b"},
			{"entity", store.LetterFilter{EntityID: voirie.ID}, "a c"},
			{"doctype", store.LetterFilter{DoctypeID: dt.ID}, "a d"},
			{"from", store.LetterFilter{From: "2026-03-05"}, "b c d"},
			{"to", store.LetterFilter{To: "2026-03-05"}, "a b"},
			{"from to", store.LetterFilter{From: "2026-03-03", To: "2026-03-09"}, "b c"},
			// a is due 2026-03-04, d on 2026-03-12; today is 2026-03-10.
			{"overdue", store.LetterFilter{Overdue: true}, "a"},
			{"combined", store.LetterFilter{Category: domain.Incoming, Query: "dossier", From: "2026-03-03"}, "d"},
			{"nothing", store.LetterFilter{Category: domain.Outgoing, EntityID: voirie.ID}, ""},
		} {
			ls, total := env.list(t, env.Admin, f.f)
			var got []string
			for _, l := range ls {
				got = append(got, name[l.ID])
			}
			slices.Sort(got)
			if strings.Join(got, " ") != f.want || total != len(got) {
				t.Errorf("%s: %v (total %d), want %s", f.what, got, total, f.want)
			}
		}
	})
}

func TestSearchPaginationAndSorts(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		ents := []*domain.Entity{env.entity(t, env.root(t).ID, "B", "Bâtiments"), env.entity(t, env.root(t).ID, "A", "Archives")}
		dts := make([]*domain.Doctype, 3)
		for i := range dts {
			d, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: fmt.Sprintf("D%d", i), Label: fmt.Sprintf("Délai %d", i), DelayDays: 5 * (i + 1)})
			if err != nil {
				t.Fatal(err)
			}
			dts[i] = d
		}
		priorities := []domain.Priority{domain.PriorityLow, domain.PriorityNormal, domain.PriorityHigh, domain.PriorityUrgent}
		const n = 120
		cats := []domain.Category{domain.Incoming, domain.Incoming, domain.Outgoing, domain.Internal, domain.Incoming}
		order := map[string]string{} // id → registration order, the default sort
		for i := range n {
			in := appliance.RegisterInput{
				Category:    cats[i%len(cats)],
				Subject:     fmt.Sprintf("Lettre %03d", (i*37)%n), // every subject once, not in registration order
				ArrivalDate: fmt.Sprintf("2026-02-%02d", 1+(i*7)%28),
				Priority:    priorities[i%len(priorities)],
				Sender:      &appliance.ContactInput{LastName: fmt.Sprintf("Expediteur%02d", (i*11)%60)},
			}
			if i%3 != 0 {
				in.EntityID = ents[i%2].ID
			}
			if i%4 != 0 {
				in.DoctypeID = dts[i%3].ID
			}
			order[env.register(t, env.Admin, in).ID] = fmt.Sprintf("%03d", i)
		}

		for _, sort := range []string{"", "number", "subject", "sender", "entity", "arrival", "due", "priority"} {
			for _, desc := range []bool{false, true} {
				var all []domain.Letter
				for page := 0; ; page++ {
					ls, total, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Sort: sort, Desc: desc, Limit: 50, Offset: page * 50})
					if err != nil {
						t.Fatal(err)
					}
					if total != n {
						t.Fatalf("sort %q page %d: total %d, want %d", sort, page, total, n)
					}
					if want := min(50, n-page*50); len(ls) != max(want, 0) {
						t.Fatalf("sort %q page %d: %d items, want %d", sort, page, len(ls), want)
					}
					if len(ls) == 0 {
						break
					}
					all = append(all, ls...)
				}
				seen := map[string]bool{}
				for _, l := range all {
					if seen[l.ID] {
						t.Fatalf("sort %q desc %v: %s on two pages", sort, desc, l.Number)
					}
					seen[l.ID] = true
				}
				if len(seen) != n {
					t.Fatalf("sort %q desc %v: %d distinct letters over the pages, want %d", sort, desc, len(seen), n)
				}
				key := sortKey(sort, order)
				for i := 1; i < len(all); i++ {
					prev, cur := key(&all[i-1]), key(&all[i])
					if c := strings.Compare(prev, cur); (!desc && c > 0) || (desc && c < 0) {
						t.Fatalf("sort %q desc %v: %q before %q", sort, desc, prev, cur)
					}
				}
			}
		}
		_, _, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Sort: "l.id; DROP TABLE letters"})
		var fe appliance.FieldErrors
		if !errors.As(err, &fe) || fe["sort"] == "" {
			t.Fatalf("unknown sort: %v, want a field error", err)
		}
	})
}

// sortKey returns, for a sort, a string whose order is the expected order
// of the letters; order gives the registration order of each letter.
func sortKey(sort string, order map[string]string) func(l *domain.Letter) string {
	switch sort {
	case "number":
		// Category, then year, then sequence: not the number's text order.
		return func(l *domain.Letter) string { return string(l.Category) + " " + l.Number[:4] + l.Number[7:] }
	case "subject":
		return func(l *domain.Letter) string { return l.Subject }
	case "sender":
		return func(l *domain.Letter) string { return l.SenderName }
	case "entity":
		return func(l *domain.Letter) string { return l.EntityName }
	case "arrival":
		return func(l *domain.Letter) string { return l.ArrivalDate }
	case "due":
		return func(l *domain.Letter) string {
			if l.DueDate == "" {
				return "9999"
			}
			return l.DueDate
		}
	case "priority":
		rank := map[domain.Priority]string{domain.PriorityUrgent: "0", domain.PriorityHigh: "1", domain.PriorityNormal: "2", domain.PriorityLow: "3"}
		return func(l *domain.Letter) string { return rank[l.Priority] }
	}
	return func(l *domain.Letter) string { return order[l.ID] }
}

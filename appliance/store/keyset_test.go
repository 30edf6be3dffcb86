package store_test

import (
	"fmt"
	"slices"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// Paging by key gives every letter of the list exactly once, in the order
// of one big page, whatever the sort, even when many letters share their
// sort keys; a letter outside the perimeter is no anchor; the list reads
// bodies only when asked.
func TestKeysetPagesEveryLetterOnce(t *testing.T) {
	t.Parallel()
	apptest.ForEachDialect(t, func(t *testing.T, dsn string) {
		env := apptest.New(t, dsn)
		ctx := t.Context()
		var confidential string
		for i := range 23 {
			in := appliance.RegisterInput{Category: domain.Incoming, Subject: []string{"Élagage", "Bruit", "Voirie"}[i%3],
				Body: fmt.Sprintf("Texte %d", i), Priority: []domain.Priority{domain.PriorityNormal, domain.PriorityUrgent}[i%2],
				Confidential: i%7 == 3}
			if i%4 == 0 {
				in.Sender = &appliance.ContactInput{LastName: "Martin"}
			}
			l, err := env.Svc.RegisterLetter(ctx, env.Admin, in)
			if err != nil {
				t.Fatal(err)
			}
			if in.Confidential {
				confidential = l.ID
			}
		}
		r := env.Store.Reader()
		admin := store.Perimeter{TenantID: "default", All: true}
		mailroom := store.Perimeter{TenantID: "default", AllOpen: true, UserID: "nobody"}
		for _, p := range []store.Perimeter{admin, mailroom} {
			for _, sort := range []string{"", "subject", "sender", "priority", "arrival", "number"} {
				for _, desc := range []bool{false, true} {
					for _, q := range []string{"", "elagage"} {
						f := store.LetterFilter{Sort: sort, Desc: desc, Query: q, Limit: 500}
						all, total, err := r.Letters(ctx, p, f)
						if err != nil || len(all) != total {
							t.Fatalf("one page: %d of %d: %v", len(all), total, err)
						}
						var paged []string
						f.Limit = 4
						for {
							page, _, err := r.Letters(ctx, p, f)
							if err != nil {
								t.Fatal(err)
							}
							for _, l := range page {
								paged = append(paged, l.ID)
							}
							if len(page) < f.Limit || len(paged) > len(all) {
								break
							}
							f.After = page[len(page)-1].ID
						}
						var want []string
						for _, l := range all {
							want = append(want, l.ID)
						}
						if !slices.Equal(paged, want) {
							t.Errorf("all=%v sort=%q desc=%v q=%q: pages by key give %d letters %v, one page %d %v", p.All, sort, desc, q, len(paged), paged, len(want), want)
						}
					}
				}
			}
		}
		if ls, _, err := r.Letters(ctx, mailroom, store.LetterFilter{After: confidential, Limit: 50}); err != nil || len(ls) != 0 {
			t.Errorf("a confidential letter as the mail room's anchor: %d letters, %v; want none", len(ls), err)
		}
		if ls, _, err := r.Letters(ctx, admin, store.LetterFilter{After: confidential, Limit: 50}); err != nil || len(ls) == 0 {
			t.Errorf("a confidential letter as the administrator's anchor: %d letters, %v", len(ls), err)
		}
		for _, body := range []bool{false, true} {
			ls, total, err := r.Letters(ctx, admin, store.LetterFilter{Body: body, NoTotal: !body})
			if err != nil || len(ls) == 0 {
				t.Fatal(err)
			}
			if body && total != 23 || !body && total != -1 {
				t.Errorf("Body=%v: total %d", body, total)
			}
			for _, l := range ls {
				if (l.Body != "") != body {
					t.Errorf("Body=%v: letter %s has body %q", body, l.Number, l.Body)
				}
			}
		}
	})
}

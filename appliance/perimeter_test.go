package appliance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// The organisation of the matrix:
//
//	Mairie (admin is its manager)
//	├── Services techniques (chefst manages it, so sees Voirie too)
//	│   └── Voirie (voirie is a member)
//	└── Urbanisme (urba is a member, elu an elected member)
//
// courrier is the mail room, in no entity. The letters are registered in
// the entity their name says; conf-* are confidential, conf-assigned is
// assigned to urba with chefst in copy, conf-copied is a letter of Urbanisme
// with the entity Voirie in copy (an entity copy does not open a
// confidential letter), copy-user has voirie in copy,
// copy-entity has the entity Voirie in copy, assigned-out is a letter of
// Urbanisme assigned to voirie.
//
// What each user may do with each letter:
//
//	.  outside the perimeter: every read and action is ErrNotFound
//	R  reads; note, redirect and close are ErrForbidden (elected: read-only)
//	N  reads and adds notes; redirect and close are ErrForbidden (a copy)
//	W  reads, notes, redirects and closes
const perimeterTable = `
letter         admin  courrier  voirie  chefst  urba  elu
voirie         W      W         W       W       .     .
st             W      W         .       W       .     .
urba           W      W         .       .       W     R
mairie         W      W         .       .       .     .
unrouted       W      W         .       .       .     .
conf-voirie    W      .         .       .       .     .
conf-assigned  W      .         .       N       W     .
conf-copied    W      .         .       .       .     .
copy-user      W      W         N       .       W     R
copy-entity    W      W         N       N       W     R
assigned-out   W      W         W       .       W     R
`

type matrixRow struct {
	letter string
	access map[string]string // user → code
}

// parseMatrix reads perimeterTable; the header names the users.
func parseMatrix(t *testing.T) (users []string, rows []matrixRow) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(perimeterTable), "\n")
	users = strings.Fields(lines[0])[1:]
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != len(users)+1 {
			t.Fatalf("matrix line %q: %d codes for %d users", line, len(f)-1, len(users))
		}
		r := matrixRow{letter: f[0], access: map[string]string{}}
		for i, u := range users {
			if !strings.Contains(".RNW", f[i+1]) || len(f[i+1]) != 1 {
				t.Fatalf("matrix line %q: unknown code %q", line, f[i+1])
			}
			r.access[u] = f[i+1]
		}
		rows = append(rows, r)
	}
	return users, rows
}

// perimeterWord is in every matrix letter's subject, accented, so that the
// search results of a user must be exactly their visible letters.
const perimeterWord = "périmètre"

func TestPerimeterMatrix(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		matrixUsers, matrix := parseMatrix(t)
		mairie := env.root(t)
		st := env.entity(t, mairie.ID, "ST", "Services techniques")
		voirie := env.entity(t, st.ID, "VOIRIE", "Voirie")
		urba := env.entity(t, mairie.ID, "URBA", "Urbanisme")
		users := map[string]*appliance.Actor{
			"admin":    env.Admin,
			"courrier": env.user(t, "courrier", domain.RoleMailroom),
			"voirie":   env.user(t, "voirie", domain.RoleAgent, member(voirie)),
			"chefst":   env.user(t, "chefst", domain.RoleAgent, manager(st)),
			"urba":     env.user(t, "urba", domain.RoleAgent, member(urba)),
			"elu":      env.user(t, "elu", domain.RoleElected, member(urba)),
		}
		inputs := map[string]appliance.RegisterInput{
			"voirie":        {EntityID: voirie.ID},
			"st":            {EntityID: st.ID},
			"urba":          {EntityID: urba.ID},
			"mairie":        {EntityID: mairie.ID},
			"unrouted":      {},
			"conf-voirie":   {EntityID: voirie.ID, Confidential: true},
			"conf-assigned": {EntityID: urba.ID, Confidential: true, AssigneeID: users["urba"].ID(), Copies: []domain.Copy{{Kind: "user", Ref: users["chefst"].ID()}}},
			"conf-copied":   {EntityID: urba.ID, Confidential: true, Copies: []domain.Copy{{Kind: "entity", Ref: voirie.ID}}},
			"copy-user":     {EntityID: urba.ID, Copies: []domain.Copy{{Kind: "user", Ref: users["voirie"].ID()}}},
			"copy-entity":   {EntityID: urba.ID, Copies: []domain.Copy{{Kind: "entity", Ref: voirie.ID}}},
			"assigned-out":  {EntityID: urba.ID, AssigneeID: users["voirie"].ID()},
		}
		if len(users) != len(matrixUsers) || len(inputs) != len(matrix) {
			t.Fatalf("matrix of %d users × %d letters, test builds %d × %d", len(matrixUsers), len(matrix), len(users), len(inputs))
		}
		for _, u := range matrixUsers {
			if users[u] == nil {
				t.Fatalf("matrix user %s is not built", u)
			}
		}
		letters := map[string]*domain.Letter{}
		for _, row := range matrix {
			in, ok := inputs[row.letter]
			if !ok {
				t.Fatalf("matrix letter %s is not built", row.letter)
			}
			in.Subject = "Dossier " + perimeterWord + " " + row.letter
			letters[row.letter] = env.register(t, env.Admin, in)
		}

		checkReads := func(when string) {
			t.Helper()
			for _, user := range matrixUsers {
				a := users[user]
				var want []string
				for _, row := range matrix {
					l := letters[row.letter]
					visible := row.access[user] != "."
					if visible {
						want = append(want, l.ID)
					}
					got, err := env.Svc.Letter(ctx, a, l.ID)
					switch {
					case visible && (err != nil || got.ID != l.ID):
						t.Errorf("%s: %s reads %s: %v, want the letter", when, user, row.letter, err)
					case !visible && !errors.Is(err, appliance.ErrNotFound):
						t.Errorf("%s: %s reads %s: %v, want ErrNotFound", when, user, row.letter, err)
					}
					_, err = env.Svc.LetterByNumber(ctx, a, l.Number)
					if visible != (err == nil) {
						t.Errorf("%s: %s reads %s by number: %v, visible %v", when, user, row.letter, err, visible)
					}
					_, err = env.Svc.View(ctx, a, l.ID)
					if visible != (err == nil) {
						t.Errorf("%s: %s views %s: %v, visible %v", when, user, row.letter, err, visible)
					}
				}
				slices.Sort(want)
				for _, f := range []store.LetterFilter{{}, {Query: "perimetre"}, {Query: perimeterWord}} {
					ls, total := env.list(t, a, f)
					got := ids(ls)
					slices.Sort(got)
					if !slices.Equal(got, want) || total != len(want) {
						t.Errorf("%s: %s lists %q: %d letters (total %d), want %d:\n got %v\nwant %v", when, user, f.Query, len(got), total, len(want), names(letters, got), names(letters, want))
					}
				}
			}
		}
		checkReads("before actions")

		historyBefore := env.historyLen(t)
		applied := 0
		for _, row := range matrix {
			for _, user := range matrixUsers {
				a, code := users[user], row.access[user]
				id := letters[row.letter].ID
				what := func(action string) string { return user + " " + action + " " + row.letter + " (" + code + ")" }
				var noteErr, writeErr error
				switch code {
				case ".":
					noteErr, writeErr = appliance.ErrNotFound, appliance.ErrNotFound
				case "R":
					noteErr, writeErr = appliance.ErrForbidden, appliance.ErrForbidden
				case "N":
					writeErr = appliance.ErrForbidden
				}
				_, err := env.Svc.AddNote(ctx, a, id, appliance.NoteInput{Text: "Vu par " + user})
				wantErr(t, what("notes"), err, noteErr)
				if err == nil {
					applied++
				}
				// A redirect to where the letter already is, so that the
				// perimeter stays what the matrix says.
				cur := env.letter(t, id)
				to := appliance.RedirectInput{EntityID: cur.EntityID, AssigneeID: cur.AssigneeID, Note: "Redirigé par " + user}
				if to.EntityID == "" {
					to.EntityID = mairie.ID // only the admin is in it
				}
				_, err = env.Svc.Redirect(ctx, a, id, to)
				wantErr(t, what("redirects"), err, writeErr)
				if err == nil {
					applied++
				}
				_, err = env.Svc.Close(ctx, a, id, "Clos par "+user)
				wantErr(t, what("closes"), err, writeErr)
				if err == nil {
					applied++
					if got := env.letter(t, id).Status; got != domain.StatusClosed {
						t.Errorf("%s: status %s after close", what("closes"), got)
					}
					if _, err := env.Svc.Reopen(ctx, env.Admin, id, ""); err != nil {
						t.Fatalf("reopen %s: %v", row.letter, err)
					}
					applied++
				}
			}
		}
		// Every refused action left no trace; every allowed one left one.
		if got := env.historyLen(t) - historyBefore; got != applied {
			t.Errorf("history grew by %d entries for %d applied commands", got, applied)
		}
		checkReads("after actions")
	})
}

// names turns letter ids back into matrix names for readable failures.
func names(letters map[string]*domain.Letter, idList []string) []string {
	var out []string
	for _, id := range idList {
		for n, l := range letters {
			if l.ID == id {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

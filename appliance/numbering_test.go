package appliance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
)

var numberRe = regexp.MustCompile(`^[0-9]{4}/[ADI]/[0-9]{6}$`)

func TestRegistrationNumbers(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		reg := func(a *appliance.Actor, cat domain.Category) string {
			t.Helper()
			l := env.register(t, a, appliance.RegisterInput{Category: cat, Subject: "Courrier " + string(cat)})
			if !numberRe.MatchString(l.Number) {
				t.Errorf("number %q does not match YYYY/A|D|I/NNNNNN", l.Number)
			}
			return l.Number
		}
		var got []string
		for _, cat := range []domain.Category{domain.Incoming, domain.Outgoing, domain.Incoming, domain.Internal, domain.Incoming, domain.Outgoing} {
			got = append(got, reg(env.Admin, cat))
		}
		// Just after midnight on 1 January in Paris, it is still 31 December
		// in UTC: the year of the number is the Paris one.
		env.Clock.Set(t, "2027-01-01T00:30")
		got = append(got, reg(env.Admin, domain.Incoming))
		// Each tenant counts on its own.
		env.Clock.Set(t, "2026-06-01T10:00")
		other := env.tenant(t, "autre", false)
		got = append(got, reg(other, domain.Incoming), reg(env.Admin, domain.Incoming), reg(other, domain.Incoming))
		want := []string{
			"2026/A/000001", "2026/D/000001", "2026/A/000002", "2026/I/000001", "2026/A/000003", "2026/D/000002",
			"2027/A/000001",
			"2026/A/000001", "2026/A/000004", "2026/A/000002",
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("numbers:\n got %v\nwant %v", got, want)
		}
	})
}

func TestRegistrationNumbersConcurrent(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		const n = 50
		numbers := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				l, err := env.Svc.RegisterLetter(t.Context(), env.Admin, appliance.RegisterInput{Category: domain.Internal, Subject: fmt.Sprintf("Note interne %d", i)})
				if err == nil {
					numbers[i] = l.Number
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("registration %d: %v", i, err)
			}
		}
		sort.Strings(numbers)
		for i, num := range numbers {
			if want := fmt.Sprintf("2026/I/%06d", i+1); num != want {
				t.Fatalf("sorted numbers[%d] = %s, want %s (gap or duplicate): %v", i, num, want, numbers)
			}
		}
		last, err := env.Store.Reader().LastNum(t.Context(), "default", domain.Internal, 2026)
		if err != nil || last != n {
			t.Fatalf("LastNum = %d, %v; want %d", last, err, n)
		}
	})
}

// A number is stamped before proposing; Apply is what makes it safe, by
// refusing any number that is not exactly the next one.
func TestApplyRefusesStaleNumber(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		for range 3 {
			env.register(t, env.Admin, appliance.RegisterInput{Subject: "Courrier déjà enregistré"})
		}
		payload := func(num int) appliance.LetterRegister {
			return appliance.LetterRegister{ID: appliance.NewID(), Category: "incoming", Year: 2026, Num: num,
				Number: fmt.Sprintf("2026/A/%06d", num), Subject: "Numéro tamponné par un ancien leader", ArrivalDate: "2026-03-10",
				Priority: "normal", Status: "new", Channel: "paper", Copies: []appliance.CopyPayload{}}
		}
		before := env.dump(t)
		for _, num := range []int{1, 3, 5} { // taken, taken (the last one), a gap
			p := payload(num)
			r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterRegister, p)
			if r.Err == nil || !strings.Contains(r.Err.Error(), "numéro chrono déjà attribué") {
				t.Errorf("apply number %d: error %v, want « numéro chrono déjà attribué »", num, r.Err)
			}
			if _, err := env.Svc.Letter(t.Context(), env.Admin, p.ID); err == nil {
				t.Errorf("letter of refused number %d exists", num)
			}
		}
		if after := env.dump(t); !bytes.Equal(before, after) {
			t.Fatalf("a refused registration changed the store")
		}
		// The same command with the right number goes through: the refusal
		// was about the number alone.
		p := payload(4)
		r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterRegister, p)
		if r.Err != nil {
			t.Fatalf("apply number 4: %v", r.Err)
		}
		if l := env.letter(t, p.ID); l.Number != "2026/A/000004" {
			t.Fatalf("number %s, want 2026/A/000004", l.Number)
		}
		// The Service stamps after it.
		if l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Suivant"}); l.Number != "2026/A/000005" {
			t.Fatalf("next number %s, want 2026/A/000005", l.Number)
		}
	})
}

// A raft entry replayed after a restart (index not above the recorded
// applied index) is skipped, not applied twice.
func TestApplySkipsReplayedEntry(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Déjà appliqué"})
		idx, err := env.Store.AppliedIndex(t.Context())
		if err != nil || idx == 0 {
			t.Fatalf("applied index %d, %v", idx, err)
		}
		before := env.dump(t)
		r := env.applyAt(t, idx, "default", env.Admin.ID(), appliance.KindLetterClose, appliance.LetterClose{LetterID: l.ID, NoteID: appliance.NewID(), Note: "rejoué"})
		if r.Err != nil || r.Value != nil {
			t.Fatalf("replayed entry: result %+v, want an empty result", r)
		}
		if after := env.dump(t); !bytes.Equal(before, after) {
			t.Fatal("a replayed entry changed the store")
		}
		if got := env.letter(t, l.ID).Status; got == domain.StatusClosed {
			t.Fatal("replayed close was applied")
		}
		// The next index applies and is recorded.
		r = env.applyAt(t, idx+1, "default", env.Admin.ID(), appliance.KindLetterClose, appliance.LetterClose{LetterID: l.ID, NoteID: appliance.NewID()})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if got, _ := env.Store.AppliedIndex(t.Context()); got != idx+1 {
			t.Fatalf("applied index %d, want %d", got, idx+1)
		}
	})
}

func TestDueDates(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		dt2, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "DELAI2", Label: "Deux jours", DelayDays: 2})
		if err != nil {
			t.Fatal(err)
		}
		dt1, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "DELAI1", Label: "Un jour", DelayDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		// Thursday 24 December: Christmas, then a weekend.
		env.Clock.Set(t, "2026-12-24T10:00")
		xmas := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Veille de Noël", DoctypeID: dt2.ID})
		plain := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Sans type"})
		for _, c := range []struct {
			name, arrival, due string
			l                  *domain.Letter
		}{
			{"Christmas", "2026-12-24", "2026-12-29", xmas},
			// Friday 8 May is a holiday.
			{"8 May", "2026-05-07", "2026-05-12", env.register(t, env.Admin, appliance.RegisterInput{Subject: "Mai", ArrivalDate: "2026-05-07", DoctypeID: dt2.ID})},
			// Good Friday is worked outside Alsace-Moselle.
			{"Good Friday", "2026-04-02", "2026-04-03", env.register(t, env.Admin, appliance.RegisterInput{Subject: "Pâques", ArrivalDate: "2026-04-02", DoctypeID: dt1.ID})},
			{"no doctype", "2026-12-24", "", plain},
		} {
			if c.l.ArrivalDate != c.arrival || c.l.DueDate != c.due {
				t.Errorf("%s: arrival %s due %q, want %s due %q", c.name, c.l.ArrivalDate, c.l.DueDate, c.arrival, c.due)
			}
		}

		// In Alsace-Moselle, Good Friday is a holiday, then comes Easter Monday.
		alsace := env.tenant(t, "strasbourg", true)
		adt, err := env.Svc.CreateDoctype(ctx, alsace, appliance.DoctypeInput{Code: "DELAI1", Label: "Un jour", DelayDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		if l := env.register(t, alsace, appliance.RegisterInput{Subject: "Pâques", ArrivalDate: "2026-04-02", DoctypeID: adt.ID}); l.DueDate != "2026-04-07" {
			t.Errorf("Alsace-Moselle: due %s, want 2026-04-07", l.DueDate)
		}

		// Qualifying with another doctype recomputes from the arrival date.
		q, err := env.Svc.Qualify(ctx, env.Admin, plain.ID, appliance.FullQualify(appliance.RegisterInput{Subject: plain.Subject, DoctypeID: dt1.ID}))
		if err != nil {
			t.Fatal(err)
		}
		if q.DueDate != "2026-12-28" {
			t.Errorf("qualified due date %s, want 2026-12-28", q.DueDate)
		}

		overdue := func() []string {
			ls, total := env.list(t, env.Admin, store.LetterFilter{Overdue: true})
			if total != len(ls) {
				t.Errorf("overdue total %d, %d items", total, len(ls))
			}
			out := []string{}
			for _, l := range ls {
				out = append(out, l.Subject)
			}
			sort.Strings(out)
			return out
		}
		viewOverdue := func(id string) bool {
			v, err := env.Svc.View(ctx, env.Admin, id)
			if err != nil {
				t.Fatal(err)
			}
			return v.Overdue
		}
		env.Clock.Set(t, "2026-12-29T18:00") // the due day itself is not late
		if got := overdue(); strings.Join(got, "|") != "Mai|Pâques|Sans type" || viewOverdue(xmas.ID) {
			t.Errorf("on the due date: overdue %v, view overdue %v", got, viewOverdue(xmas.ID))
		}
		env.Clock.Set(t, "2026-12-30T08:00")
		if got := overdue(); strings.Join(got, "|") != "Mai|Pâques|Sans type|Veille de Noël" || !viewOverdue(xmas.ID) {
			t.Errorf("the day after: overdue %v, view overdue %v", got, viewOverdue(xmas.ID))
		}
		if _, err := env.Svc.Close(ctx, env.Admin, xmas.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := overdue(); strings.Join(got, "|") != "Mai|Pâques|Sans type" || viewOverdue(xmas.ID) {
			t.Errorf("closed: overdue %v, view overdue %v", got, viewOverdue(xmas.ID))
		}
	})
}

// pipeProposer behaves like raft towards the Service: ProposeAsync queues
// at once, one goroutine applies the queue in order, and the caller waits
// apart. Proposals at the positions in lost are dropped as a leader change
// drops them: the caller gets an error and they never reach Apply.
type pipeProposer struct {
	a    *appliance.Applier
	q    chan pipeEntry
	lost map[int]bool

	mu                 sync.Mutex
	queued             int
	inFlight, maxDepth int
}

type pipeEntry struct {
	cmd  []byte
	lost bool
	done chan pipeResult
}

type pipeResult struct {
	v   any
	err error
}

var errLostProposal = errors.New("proposition perdue (changement de leader)")

func newPipeProposer(t *testing.T, a *appliance.Applier, lost ...int) *pipeProposer {
	p := &pipeProposer{a: a, q: make(chan pipeEntry, 1024), lost: map[int]bool{}}
	for _, n := range lost {
		p.lost[n] = true
	}
	stopped := make(chan struct{})
	t.Cleanup(func() { close(p.q); <-stopped })
	go func() {
		defer close(stopped)
		// Past the indexes the bootstrap used through apptest's proposer.
		index := uint64(1 << 20)
		first := true
		for e := range p.q {
			if first {
				// Give a second proposal the chance to be queued while the
				// first waits: it can only if stamping does not hold its
				// lock through the commit.
				first = false
				for i := 0; i < 200 && len(p.q) == 0; i++ {
					time.Sleep(10 * time.Millisecond)
				}
			}
			var r pipeResult
			if e.lost {
				r.err = errLostProposal
			} else {
				index++
				r.v = p.a.Apply(index, e.cmd)
			}
			p.mu.Lock()
			p.inFlight--
			p.mu.Unlock()
			e.done <- r
		}
	}()
	return p
}

func (p *pipeProposer) ProposeAsync(_ context.Context, cmd []byte) func() (any, error) {
	p.mu.Lock()
	p.queued++
	p.inFlight++
	p.maxDepth = max(p.maxDepth, p.inFlight)
	e := pipeEntry{cmd: cmd, lost: p.lost[p.queued], done: make(chan pipeResult, 1)}
	p.mu.Unlock()
	p.q <- e
	return func() (any, error) { r := <-e.done; return r.v, r.err }
}

func (p *pipeProposer) Propose(ctx context.Context, cmd []byte) (any, error) {
	return p.ProposeAsync(ctx, cmd)()
}

// Registrations overlap (the next one is stamped while the previous one is
// being committed) and some proposals are lost on the way: the numbers that
// were handed out are still gap-free and unique, every one is in the store,
// and the next registration takes the next number.
func TestRegistrationNumbersPipelined(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		const n = 60
		lost := []int{5, 23, 24, 41}
		pp := newPipeProposer(t, appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey), lost...)
		svc := appliance.NewService(env.Store, env.Blobs, pp, apptest.Logger())
		svc.Now = env.Clock.Now
		numbers := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				l, err := svc.RegisterLetter(t.Context(), env.Admin, appliance.RegisterInput{Category: domain.Internal, Subject: fmt.Sprintf("Note interne %d", i)})
				if err == nil {
					numbers[i] = l.Number
				}
				errs[i] = err
			})
		}
		wg.Wait()
		var got []string
		failed := 0
		for i, err := range errs {
			switch {
			case err == nil:
				got = append(got, numbers[i])
			case errors.Is(err, errLostProposal):
				failed++
			default:
				t.Fatalf("registration %d: %v", i, err)
			}
		}
		if failed > len(lost) {
			t.Fatalf("%d registrations failed, only %d proposals were lost", failed, len(lost))
		}
		sort.Strings(got)
		for i, num := range got {
			if want := fmt.Sprintf("2026/I/%06d", i+1); num != want {
				t.Fatalf("sorted numbers[%d] = %s, want %s (gap or duplicate): %v", i, num, want, got)
			}
		}
		last, err := env.Store.Reader().LastNum(t.Context(), "default", domain.Internal, 2026)
		if err != nil || last != len(got) {
			t.Fatalf("LastNum = %d, %v; want %d, one per successful registration", last, err, len(got))
		}
		if pp.maxDepth < 2 {
			t.Fatalf("at most %d registration in flight: stamping holds its lock through the commit", pp.maxDepth)
		}
		l, err := svc.RegisterLetter(t.Context(), env.Admin, appliance.RegisterInput{Category: domain.Internal, Subject: "Après"})
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("2026/I/%06d", len(got)+1); l.Number != want {
			t.Fatalf("next number %s, want %s", l.Number, want)
		}
	})
}

package devseed_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/devseed"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/appliance/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var today = time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)

func TestGeneratorIsDeterministic(t *testing.T) {
	t.Parallel()
	a := devseed.New(devseed.Options{Seed: 42, Today: today})
	b := devseed.New(devseed.Options{Seed: 42, Today: today})
	c := devseed.New(devseed.Options{Seed: 43, Today: today})
	same := 0
	for i := 0; i < 500; i++ {
		la, lb, lc := a.Next(), b.Next(), c.Next()
		if !reflect.DeepEqual(la, lb) {
			t.Fatalf("letter %d differs for the same seed:\n%+v\n%+v", i, la, lb)
		}
		if la.Subject == lc.Subject && la.Body == lc.Body {
			same++
		}
	}
	if same > 10 {
		t.Errorf("seeds 42 and 43 gave %d identical letters out of 500", same)
	}
}

func TestGeneratorIsVaried(t *testing.T) {
	t.Parallel()
	g := devseed.New(devseed.Options{Seed: 1, Today: today, Citizens: 2000})
	const n = 5000
	subjects, bodies, themes := map[string]bool{}, map[string]bool{}, map[string]int{}
	cats := map[domain.Category]int{}
	emails := map[string]int{}
	closed, redirected, accented := 0, 0, 0
	oldest := today.AddDate(0, 0, -devseed.History).Format(domain.DateLayout)
	for i := 0; i < n; i++ {
		l := g.Next()
		subjects[l.Subject], bodies[l.Body] = true, true
		themes[l.Theme]++
		cats[l.Category]++
		if strings.ContainsAny(l.Subject+l.Body, "{}") {
			t.Fatalf("unexpanded placeholder in letter %d: %q / %q", l.Index, l.Subject, l.Body)
		}
		if strings.ContainsAny(l.Subject, "éèêàçôûÉ") {
			accented++
		}
		if l.ArrivalDate < oldest || l.ArrivalDate > today.Format(domain.DateLayout) {
			t.Fatalf("arrival %s outside the two years before %s", l.ArrivalDate, today.Format(domain.DateLayout))
		}
		if l.LetterDate > l.ArrivalDate {
			t.Fatalf("letter dated %s after its arrival %s", l.LetterDate, l.ArrivalDate)
		}
		if c := l.Correspondent; c != nil {
			if c.Email != "" {
				emails[c.Email]++
			} else if l.Channel != domain.ChannelPaper {
				t.Fatalf("letter %d came by %s from a correspondent without e-mail", l.Index, l.Channel)
			}
		} else if l.Category != domain.Internal {
			t.Fatalf("%s letter %d has no correspondent", l.Category, l.Index)
		}
		if l.Close {
			closed++
		}
		if l.RedirectTo != "" {
			redirected++
		}
		if !l.Priority.Valid() || !l.Channel.Valid() {
			t.Fatalf("letter %d: priority %q, channel %q", l.Index, l.Priority, l.Channel)
		}
	}
	if len(themes) < 14 {
		t.Errorf("only %d themes in %d letters: %v", len(themes), n, themes)
	}
	if len(subjects) < n/5 || len(bodies) < n*9/10 {
		t.Errorf("%d distinct subjects and %d distinct bodies in %d letters", len(subjects), len(bodies), n)
	}
	if in := cats[domain.Incoming]; in < n*8/10 || in > n*9/10 || cats[domain.Outgoing] == 0 || cats[domain.Internal] == 0 {
		t.Errorf("categories %v: mostly incoming, some of each expected", cats)
	}
	reused := 0
	for _, k := range emails {
		if k >= 3 {
			reused++
		}
	}
	if reused < 50 || len(emails) < 500 {
		t.Errorf("%d addresses, %d of them on 3 letters or more: expected regular correspondents and many occasional ones", len(emails), reused)
	}
	if accented < n/4 {
		t.Errorf("only %d subjects with accents", accented)
	}
	if closed < n/3 || closed > n*9/10 || redirected == 0 {
		t.Errorf("%d closed, %d redirected of %d", closed, redirected, n)
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080/":     true,
		"http://[::1]:8080":          true,
		"https://127.0.0.2":          true,
		"http://192.168.1.10:8080":   false,
		"http://courrier.ville.fr":   false,
		"ftp://127.0.0.1":            false,
		"127.0.0.1:8080":             false,
		"http://localhost.evil.fr:1": false,
	} {
		if err := devseed.CheckLoopback(url); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", url, err, ok)
		}
	}
}

// seed registers n letters through the Service and checks what a town
// hall would see: every letter listed, routed, many closed, regular
// correspondents reused, an intact history chain.
func seed(t *testing.T, dsn string, n int) *apptest.Env {
	env := apptest.New(t, dsn)
	ctx := context.Background()
	var mu sync.Mutex
	last := 0
	s := &devseed.Seeder{Svc: env.Svc, Gen: devseed.New(devseed.Options{Seed: 7, Today: time.Now(), Citizens: 40}), Workers: 3,
		Progress: func(done, total int, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if done < last || total != n {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		}}
	pw, err := s.Setup(ctx)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if pw == "" {
		t.Fatal("setup created no demo user")
	}
	st, err := s.Run(ctx, n)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if st.Letters != int64(n) || last != n || st.Closes == 0 || st.Redirects == 0 || st.Notes == 0 {
		t.Fatalf("stats %+v, last progress %d", st, last)
	}
	all, total, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Limit: 500})
	if err != nil || total != n {
		t.Fatalf("admin sees %d letters (%v), want %d", total, err, n)
	}
	status := map[domain.Status]int{}
	senders := map[string]bool{}
	for _, l := range all {
		status[l.Status]++
		if l.Category == domain.Incoming && l.SenderID != "" {
			senders[l.SenderID] = true
		}
	}
	if status[domain.StatusClosed] != int(st.Closes) || status[domain.StatusInProgress] == 0 {
		t.Errorf("statuses %v, closes %d", status, st.Closes)
	}
	incoming, _, _ := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Category: domain.Incoming, Limit: 500})
	if len(senders) == 0 || len(senders) >= len(incoming) {
		t.Errorf("%d distinct senders for %d incoming letters: contacts should be reused", len(senders), len(incoming))
	}
	// A second setup finds everything in place and creates nothing.
	again := &devseed.Seeder{Svc: env.Svc, Gen: devseed.New(devseed.Options{Seed: 7})}
	if pw, err := again.Setup(ctx); err != nil || pw != "" {
		t.Errorf("second setup: password %q, err %v", pw, err)
	}
	res, err := appliance.VerifyHistory(ctx, env.Store.Reader())
	if err != nil || res.BadSeq != 0 {
		t.Errorf("history: %+v, %v", res, err)
	}
	return env
}

func TestSeederSQLite(t *testing.T) {
	t.Parallel()
	seed(t, "", 120)
}

func TestSeederPostgreSQL(t *testing.T) {
	t.Parallel()
	seed(t, pgtest.DSN(t), 120)
}

// TestRunLoad drives the real API over loopback; the request budget, not
// the clock, ends each scenario.
func TestRunLoad(t *testing.T) {
	t.Parallel()
	env := seed(t, "", 60)
	ctx := context.Background()
	token, err := env.Svc.CreateToken(ctx, env.Admin, env.Admin.ID(), "bench")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.New(env.Svc, apptest.Logger()).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rs, err := devseed.RunLoad(ctx, devseed.LoadOptions{URL: srv.URL, Token: token, Duration: time.Minute, Concurrency: 2, MaxRequests: 25, Write: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d scenarios, want 4", len(rs))
	}
	for _, r := range rs {
		if r.Requests != 25 || r.Errors != 0 || r.P50 <= 0 || r.P50 > r.P95 || r.P95 > r.P99 || r.P99 > r.Max {
			t.Errorf("%s: %+v", r.Scenario, r)
		}
	}
	_, total, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{})
	if err != nil || total != 60+25 {
		t.Errorf("%d letters after 25 registrations (%v), want 85", total, err)
	}
	var out strings.Builder
	devseed.PrintResults(&out, rs)
	if !strings.Contains(out.String(), "enregistrement") || !strings.Contains(out.String(), " ms") {
		t.Errorf("table:\n%s", out.String())
	}
	if _, err := devseed.RunLoad(ctx, devseed.LoadOptions{URL: "http://10.1.2.3:8080", Token: token}); err == nil {
		t.Error("a remote URL was accepted without AllowRemote")
	}
}

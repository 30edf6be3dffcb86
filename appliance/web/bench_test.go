//go:build bench

package web_test

// TestPageTimes measures the server time of the basket page and the letter
// page on a town's worth of mail (100,000 letters): p50 and p95 of the
// handler alone, in process, without the network. It is `go test -tags
// bench -run TestPageTimes ./appliance/web/`, never part of `make test`.
//
//	MISSIVE_BENCH_DB  a seeded SQLite missive.db (default: the one `make
//	                  bench` caches, /tmp/missive-bench-cache/sqlite-100000-seed1-v1)
//
// The database is copied first: the measure writes (a password, a session
// key) and must not touch the cache.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/appliance/web"
)

func TestPageTimes(t *testing.T) {
	src := os.Getenv("MISSIVE_BENCH_DB")
	if src == "" {
		src = filepath.Join(os.TempDir(), "missive-bench-cache", "sqlite-100000-seed1-v1", "missive.db")
	}
	dir := t.TempDir()
	if err := copyFile(src, filepath.Join(dir, "missive.db")); err != nil {
		t.Fatalf("seeded database %s: %v (seed it with `make bench`, or set MISSIVE_BENCH_DB)", src, err)
	}
	ctx := context.Background()
	if err := ensureWebIndexes(filepath.Join(dir, "missive.db")); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := blob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := apptest.Logger()
	applied, _ := st.AppliedIndex(ctx)
	// The copied store has applied raft entries up to some index: the
	// proposer of this measure continues after it.
	svc := appliance.NewService(st, blobs, &benchProposer{a: appliance.NewApplier(st, log), index: applied}, log)
	if svc.Secrets, err = appliance.OpenSecretBox(dir); err != nil {
		t.Fatal(err)
	}
	sys, err := svc.SystemActor(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	users, err := svc.Users(ctx, sys)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "mesure-des-pages-1"
	byRole := map[domain.Role]string{}
	for _, u := range users {
		if _, ok := byRole[u.Role]; !ok && !u.Disabled {
			if err := svc.SetPassword(ctx, sys, u.ID, pw); err != nil {
				t.Fatal(err)
			}
			byRole[u.Role] = u.Login
		}
	}
	_, total, err := svc.Letters(ctx, sys, store.LetterFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.New(svc, log).Register(mux)
	web.New(svc, log, web.Options{}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	type row struct {
		who, page string
		p50, p95  time.Duration
	}
	var rows []row
	measure := func(who, page string, paths func(i int) string) {
		b := (&site{URL: srv.URL}).browser(t)
		b.login(byRole[domain.Role(who)], pw)
		// Warm the page cache and the statement cache first.
		for i := 0; i < min(5, benchN); i++ {
			b.get(paths(i))
		}
		var ds []time.Duration
		for i := 0; i < benchN; i++ {
			req := httptest.NewRequest("GET", paths(i), nil)
			for _, c := range b.c.Jar.Cookies(mustURL(srv.URL)) {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			start := time.Now()
			mux.ServeHTTP(w, req)
			ds = append(ds, time.Since(start))
			if w.Code != http.StatusOK {
				t.Fatalf("%s %s: %d", who, paths(i), w.Code)
			}
			io.Copy(io.Discard, w.Body)
		}
		slices.Sort(ds)
		rows = append(rows, row{who: who, page: page, p50: ds[len(ds)/2], p95: ds[len(ds)*95/100]})
		t.Logf("%s %s: p50 %s p95 %s", who, page, ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]))
	}
	// Letters the admin sees: any; an agent's: theirs.
	ids := func(a *appliance.Actor) []string {
		ls, _, err := svc.Letters(ctx, a, store.LetterFilter{Limit: 500, Sort: "arrival", Desc: true})
		if err != nil || len(ls) == 0 {
			t.Fatalf("letters: %v", err)
		}
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.ID
		}
		return out
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, who := range []domain.Role{domain.RoleAdmin, domain.RoleMailroom, domain.RoleAgent} {
		a, err := svc.Authenticate(ctx, "default", byRole[who], pw, "test")
		if err != nil {
			t.Fatal(err)
		}
		bs, err := svc.Baskets(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			measure(string(who), "bannette "+b.ID, func(i int) string {
				return "/baskets/" + b.ID + "?page=" + fmt.Sprint(1+i%3)
			})
		}
		// The dearest sort: by the sender's name, on the biggest open basket.
		big := bs[0].ID
		for _, b := range bs {
			if b.ID == "service" {
				big = b.ID
			}
		}
		measure(string(who), "bannette "+big+", tri expéditeur", func(i int) string { return "/baskets/" + big + "?sort=sender" })
		list := ids(a)
		measure(string(who), "page courrier", func(i int) string { return "/letters/" + list[r.IntN(len(list))] })
		measure(string(who), "accueil", func(i int) string { return "/" })
	}
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d courriers (SQLite)\tpage\tp50\tp95\n", total)
	for _, x := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.who, x.page, ms(x.p50), ms(x.p95))
	}
	tw.Flush()
	fmt.Print(sb.String())
}

// benchN is the number of requests measured per page (MISSIVE_BENCH_N).
var benchN = func() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("MISSIVE_BENCH_N"), &n); err != nil || n < 1 {
		return 100
	}
	return n
}()

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

type benchProposer struct {
	a     *appliance.Applier
	index uint64
}

func (p *benchProposer) Propose(_ context.Context, cmd []byte) (any, error) {
	p.index++
	return p.a.Apply(p.index, cmd), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ensureWebIndexes adds the indexes of migration 0002 to a database seeded
// before they were part of it: the cache outlives changes of a migration
// that is not released yet.
func ensureWebIndexes(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE INDEX IF NOT EXISTS letters_web_status ON letters (tenant_id, status, due_date, confidential, entity_id, assignee_id, id)`,
		`CREATE INDEX IF NOT EXISTS letters_web_entity ON letters (tenant_id, entity_id, status, confidential, assignee_id, id)`,
		`CREATE INDEX IF NOT EXISTS letters_web_arrival ON letters (tenant_id, arrival_date, confidential, entity_id, assignee_id, id)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	return nil
}

//go:build bench

package main

// TestBenchSearch is the search row of the peer comparison: the search box
// of the API (common words, names, a prefix, phrases: devseed.SearchWords)
// with 1 then 16 clients, against the same SQL run on plain SQLite (the
// driver on a copy of the database, default settings, no HTTP), in one run
// and interleaved, so that the ratios hold on a busy machine. Environment:
//
//	MISSIVE_BENCH_DATA     a seeded SQLite data dir to measure (copied first);
//	                       default: the cached seed of TestBench
//	MISSIVE_BENCH_LETTERS  the cached seed's size when MISSIVE_BENCH_DATA is unset
//	MISSIVE_BENCH_BINS     other binaries to measure beside this tree's, as
//	                       name=path,… (a build of main: before/after in one run)
//	MISSIVE_BENCH_ROUNDS   rounds of the interleaved measures (default 2)
//	MISSIVE_BENCH_PERF     FILE: perf record of each server during its runs
//	                       at 16 clients, in FILE.N (perf report -i FILE.N)

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"missive/appliance/devseed"
	"missive/appliance/store"
	"missive/appliance/store/pgtest"
	"missive/internal/benchkit"
)

const benchSearchTime = 8 * time.Second

func TestBenchSearch(t *testing.T) {
	bin := buildBinary(t)
	src := os.Getenv("MISSIVE_BENCH_DATA")
	if src == "" {
		n := 100_000
		if v := os.Getenv("MISSIVE_BENCH_LETTERS"); v != "" {
			n, _ = strconv.Atoi(v)
		}
		src = filepath.Join(t.TempDir(), "cached")
		cachedSQLite(t, bin, src, n)
	}
	rounds := 2
	if v := os.Getenv("MISSIVE_BENCH_ROUNDS"); v != "" {
		rounds, _ = strconv.Atoi(v)
	}
	bins := [][2]string{{"missive", bin}}
	for _, b := range strings.Split(os.Getenv("MISSIVE_BENCH_BINS"), ",") {
		if name, path, ok := strings.Cut(b, "="); ok {
			bins = append(bins, [2]string{name, path})
		}
	}
	var targets []searchTarget
	for _, b := range bins {
		targets = append(targets, missiveSearch(t, b[0], b[1], src, ""))
	}
	targets = append(targets, plainSearches(t, src, true)...)
	results := measureSearch(t, targets, rounds)
	var names []string
	for _, tg := range targets {
		names = append(names, tg.name)
	}
	printSearch(os.Stdout, names, results)
}

// TestBenchSearchPostgres is the same search through the API on
// PostgreSQL (pgtest's server), on MISSIVE_BENCH_LETTERS letters (default
// 20000) seeded with `dev seed --batch 500`; plain SQLite has no part in
// it, so its table has Missive's lines only.
func TestBenchSearchPostgres(t *testing.T) {
	bin := buildBinary(t)
	n := benchkit.EnvInt(t, "MISSIVE_BENCH_LETTERS", 20_000)
	dsn := pgtest.DSN(t)
	data := filepath.Join(t.TempDir(), "seeded")
	took := seed(t, bin, data, dsn, n, "--batch", "500")
	t.Logf("PostgreSQL: %d courriers remplis en %s (%.0f/s)", n, took.Round(time.Second), float64(n)/took.Seconds())
	tg := missiveSearch(t, "missive PostgreSQL", bin, data, dsn)
	results := measureSearch(t, []searchTarget{tg}, benchkit.EnvInt(t, "MISSIVE_BENCH_ROUNDS", 2))
	printSearch(os.Stdout, []string{tg.name}, results)
}

// searchTarget is one thing measured: a run with c clients gives the
// requests' figures and the CPU time its target spent on them, on a
// machine shared with other work the steadiest of the figures.
type searchTarget struct {
	name string
	run  func(c int) (devseed.Result, time.Duration)
}

// missiveSearch serves a copy of the data dir src (and dsn, for
// PostgreSQL) with bin and searches it through the API.
func missiveSearch(t *testing.T, name, bin, src, dsn string) searchTarget {
	data := filepath.Join(t.TempDir(), "data")
	if err := copyDir(src, data); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, bin, data, dsn)
	token := strings.TrimSpace(mustRun(t, bin, "token", "create", "--data", data, "--db", dsn, "--user", "admin", "--name", "bench"))
	return searchTarget{name, func(c int) (devseed.Result, time.Duration) {
		cpu := processCPU(t, srv.pid)
		if c == 16 {
			defer benchkit.PerfRecord(t, srv.pid)()
		}
		rs, err := devseed.RunLoad(context.Background(), devseed.LoadOptions{URL: srv.url, Token: token, Concurrency: c, Seed: benchSeed,
			Duration: benchSearchTime, Scenarios: []string{devseed.ScenarioSearch}})
		if err != nil || rs[0].Errors > 0 {
			t.Fatalf("%s: %v %+v", name, err, rs)
		}
		return rs[0], processCPU(t, srv.pid) - cpu
	}}
}

// plainSearches are the references: plain SQLite on its own copy of the
// database (the servers' copies are being read), with default settings
// but for connections kept open between queries, as any long-running
// program would: database/sql closes all but two after a burst, and a new
// connection starts with an empty cache. The SQL Missive runs now (with
// the index of migration 0017, added to the copy), and with before, the
// SQL it ran before (the count from the letters' rows, the page with
// bodies).
func plainSearches(t *testing.T, src string, before bool) []searchTarget {
	plain := filepath.Join(t.TempDir(), "plain.db")
	if err := copyFile(filepath.Join(src, "missive.db"), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+plain+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxIdleConns(16)
	if _, err := db.Exec(`CREATE INDEX IF NOT EXISTS letters_seq_perimeter ON letters (seq, tenant_id, confidential, entity_id, assignee_id, id)`); err != nil {
		t.Fatal(err)
	}
	var tenant string
	if err := db.QueryRow(`SELECT id FROM tenants ORDER BY created_at LIMIT 1`).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	var out []searchTarget
	for _, now := range []bool{true, false} {
		name := "SQLite seul"
		if !now {
			if !before {
				break
			}
			name = "SQLite seul, SQL d'avant"
		}
		out = append(out, searchTarget{name, func(c int) (devseed.Result, time.Duration) {
			cpu := processCPU(t, os.Getpid())
			res := plainSearch(t, db, tenant, c, now)
			return res, processCPU(t, os.Getpid()) - cpu
		}})
	}
	return out
}

// measureSearch warms every target, then runs them in turn at 1 and 16
// clients, rounds times, interleaved; the runs are keyed "name c=N".
func measureSearch(t *testing.T, targets []searchTarget, rounds int) map[string][]searchRun {
	// Warm every target's page cache before the first measure.
	for _, tg := range targets {
		tg.run(4)
	}
	results := map[string][]searchRun{}
	for r := 0; r < rounds; r++ {
		for _, c := range []int{1, 16} {
			for _, tg := range targets {
				res, cpu := tg.run(c)
				k := tg.name + " c=" + strconv.Itoa(c)
				run := searchRun{res, cpu / time.Duration(max(1, res.Requests))}
				results[k] = append(results[k], run)
				t.Logf("tour %d %s: %.1f/s p50 %s p95 %s, CPU %s/requête", r+1, k, res.PerSecond(), devseed.Millis(res.P50), devseed.Millis(res.P95), devseed.Millis(run.cpu))
			}
		}
	}
	return results
}

// plainSearch runs what Missive's search asks SQLite for an administrator
// (the count for the total, then the first page of 50 with the display
// joins), for each word of devseed.SearchWords, with c clients: the SQL of
// now, or of before this tree's read path (now false).
func plainSearch(t *testing.T, db *sql.DB, tenant string, c int, now bool) devseed.Result {
	const where = `+l.tenant_id = ? AND l.seq IN (SELECT rowid FROM letters_fts WHERE letters_fts MATCH ?)`
	count := `SELECT COUNT(*) FROM letters l WHERE ` + where
	body := "l.body"
	if now {
		count = `SELECT COUNT(*) FROM letters l INDEXED BY letters_seq_perimeter WHERE ` + where
		body = "''"
	}
	page := `SELECT l.id, l.number, l.category, l.subject, ` + body + `, l.letter_date, l.arrival_date, l.priority,
	l.sender_id, l.recipient_id, l.entity_id, l.assignee_id, l.doctype_id, l.due_date, l.status, l.confidential,
	l.channel, l.created_at, l.created_by, l.updated_at, l.closed_at,
	COALESCE(s.first_name, ''), COALESCE(s.last_name, ''), COALESCE(s.organization, ''), COALESCE(s.email, ''),
	COALESCE(e.name, ''), COALESCE(u.name, ''), COALESCE(d.label, '')
	FROM letters l LEFT JOIN contacts s ON s.id = l.sender_id LEFT JOIN entities e ON e.id = l.entity_id
	LEFT JOIN users u ON u.id = l.assignee_id LEFT JOIN doctypes d ON d.id = l.doctype_id
	WHERE ` + where + ` ORDER BY l.seq LIMIT 50 OFFSET 0`
	one := func(word string) error {
		m := ftsMatch(store.ParseQuery(word))
		var n int
		if err := db.QueryRow(count, tenant, m).Scan(&n); err != nil {
			return err
		}
		rows, err := db.Query(page, tenant, m)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols := make([]sql.RawBytes, 28)
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(benchSearchTime)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(benchSeed, uint64(w)+100))
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := one(devseed.SearchWords[r.IntN(len(devseed.SearchWords))]); err != nil {
					t.Errorf("plain SQLite: %v", err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := devseed.Result{Scenario: "SQLite seul", Elapsed: time.Since(start), Requests: len(lat)}
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		res.P50, res.P95, res.Max = lat[n/2], lat[min(n-1, n*95/100)], lat[n-1]
	}
	return res
}

type searchRun struct {
	devseed.Result
	cpu time.Duration // per request
}

// processCPU reads the user and system time a process has used so far.
func processCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("CPU time of %d: %v", pid, err)
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line, in clock ticks (100 per second).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// ftsMatch is the FTS5 query Missive writes for the terms (search.go).
func ftsMatch(terms []store.Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		ws := make([]string, len(t.Words))
		for j, w := range t.Words {
			ws[j] = store.Fold(w)
		}
		parts[i] = `"` + strings.Join(ws, " ") + `"`
		if t.Prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " AND ")
}

// printSearch prints the medians of the rounds: throughput, p50, p95 at
// c=1 and c=16, and each target's ratios to plain SQLite.
func printSearch(w io.Writer, names []string, results map[string][]searchRun) {
	med := func(k string, v func(searchRun) float64) float64 {
		var xs []float64
		for _, r := range results[k] {
			xs = append(xs, v(r))
		}
		slices.Sort(xs)
		if len(xs) == 0 {
			return 0
		}
		return xs[len(xs)/2]
	}
	rate := func(r searchRun) float64 { return r.PerSecond() }
	p50 := func(r searchRun) float64 { return float64(r.P50) }
	p95 := func(r searchRun) float64 { return float64(r.P95) }
	cpu := func(r searchRun) float64 { return float64(r.cpu) }
	ref := "SQLite seul"
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "recherche (médianes)\tc=1 débit\tc=1 p50\tc=1 p95\tc=16 débit\tc=16 p50\tc=16 p95\tc=16/c=1 débit\tdébit c=1 / SQLite\tdébit c=16 / SQLite\tCPU/req c=1\tCPU/req c=16\t")
	for _, n := range names {
		line := n + "\t"
		for _, c := range []string{" c=1", " c=16"} {
			line += devseed.Decimal(med(n+c, rate)) + "/s\t" + devseed.Millis(time.Duration(med(n+c, p50))) + "\t" + devseed.Millis(time.Duration(med(n+c, p95))) + "\t"
		}
		ratio := func(a, b float64) string {
			if b == 0 {
				return "–"
			}
			return devseed.Decimal(a/b) + " ×"
		}
		line += ratio(med(n+" c=16", rate), med(n+" c=1", rate)) + "\t"
		line += ratio(med(n+" c=1", rate), med(ref+" c=1", rate)) + "\t" + ratio(med(n+" c=16", rate), med(ref+" c=16", rate)) + "\t"
		line += devseed.Millis(time.Duration(med(n+" c=1", cpu))) + "\t" + devseed.Millis(time.Duration(med(n+" c=16", cpu))) + "\t"
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

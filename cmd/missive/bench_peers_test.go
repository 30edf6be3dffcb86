//go:build bench

package main

// TestBenchPeersApp is `make bench-peers`'s rows for what the appliance
// does besides mail: registration on SQLite and on PostgreSQL, search at
// 1 and 16 clients, the WebDAV share. Each is the built binary (raft, the
// store, HTTP, as installed) against a peer doing the same work on this
// machine, the two interleaved round by round so that the load of the box
// weighs on both alike; medians of the rounds are printed as the rows
//
//	| row | missive | peer | ratio |
//
// with ratio ≥ 1 when Missive does as well or better (a rate is
// missive/peer, a time peer/missive), as mailbridge's TestBenchPeers.
// Environment: MISSIVE_BENCH_ROUNDS (default 3), MISSIVE_BENCH_PEERS_LETTERS
// (letters of the search's data dir, default 20000, seeded once with
// `dev seed --batch` and cached).

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance/devseed"
	"missive/appliance/store/pgtest"
	"missive/internal/benchkit"
)

const (
	benchPassword   = "motdepasse-bench-1"
	benchPeersWrite = 10 * time.Second
)

// peerRow is one line of the bench-peers table.
type peerRow struct {
	name          string
	missive, peer float64
	format        string
	higherBetter  bool
}

func (r peerRow) String() string {
	ratio := r.peer / r.missive
	if r.higherBetter {
		ratio = r.missive / r.peer
	}
	return fmt.Sprintf("| %s | "+r.format+" | "+r.format+" | %.2f |", r.name, r.missive, r.peer, ratio)
}

func TestBenchPeersApp(t *testing.T) {
	t.Setenv("MISSIVE_ADMIN_PASSWORD", benchPassword)
	rounds := benchkit.EnvInt(t, "MISSIVE_BENCH_ROUNDS", 3)
	bin := buildBinary(t)
	var rows []peerRow
	for _, db := range []string{"sqlite", "postgres"} {
		rows = append(rows, benchPeersRegister(t, bin, db, rounds))
	}
	rows = append(rows, benchPeersSearch(t, bin, benchkit.EnvInt(t, "MISSIVE_BENCH_PEERS_LETTERS", 20_000), rounds)...)
	rows = append(rows, benchPeersDAV(t, bin, rounds)...)
	for _, r := range rows {
		fmt.Println(r)
	}
}

// benchPeersRegister is POST /api/v1/letters with 4 clients on an empty
// data dir, against the rows each of those registrations wrote (the
// letter, its full-text entry, its history entry) INSERTed again into a
// copy of the database taken before, one transaction per letter, 4 clients:
// the least any program keeping the same letters durably and searchable
// writes for them. On SQLite the copy commits with synchronous=FULL (one
// fsync each, as raft's log gives Missive's); on PostgreSQL both write to
// the same test server.
func benchPeersRegister(t *testing.T, bin, db string, rounds int) peerRow {
	data := t.TempDir()
	dsn := ""
	if db == "postgres" {
		dsn = pgtest.DSN(t)
	}
	srv := startServer(t, bin, data, dsn)
	token := strings.TrimSpace(mustRun(t, bin, "token", "create", "--data", data, "--db", dsn, "--user", "admin", "--name", "bench"))
	ref := openPlainCopy(t, data, dsn)
	var m, p []float64
	for r := range rounds {
		mark := ref.mark(t)
		rs, err := devseed.RunLoad(context.Background(), devseed.LoadOptions{URL: srv.url, Token: token, Concurrency: 4,
			Seed: benchSeed + uint64(r), Duration: benchPeersWrite, Write: true, Scenarios: []string{devseed.ScenarioRegister}})
		if err != nil || rs[0].Errors > 0 {
			t.Fatalf("%s registration: %v %+v", db, err, rs)
		}
		m = append(m, rs[0].PerSecond())
		p = append(p, ref.replay(t, ref.capture(t, mark), 4))
		t.Logf("tour %d, enregistrement %s: Missive %.1f/s, mêmes INSERT %.1f/s", r+1, db, m[r], p[r])
	}
	name := map[string]string{"sqlite": "enregistrement SQLite, courriers/s (mêmes INSERT, synchronous=FULL)",
		"postgres": "enregistrement PostgreSQL, courriers/s (mêmes INSERT, même serveur)"}[db]
	return peerRow{name, benchMedian(m), benchMedian(p), "%.0f", true}
}

// plainCopy is the reference of benchPeersRegister: src, Missive's
// database (read beside the running server), and dst, the copy the same
// rows go into.
type plainCopy struct {
	src, dst *sql.DB
	pg       bool
	tables   []plainTable
}

type plainTable struct {
	src, dst string // table names
	key      string // the column new rows are found by
	cols     []string
}

func openPlainCopy(t *testing.T, data, dsn string) *plainCopy {
	ctx := context.Background()
	c := &plainCopy{pg: dsn != ""}
	var err error
	if c.pg {
		if c.src, err = sql.Open("pgx", dsn); err != nil {
			t.Fatal(err)
		}
		c.dst = c.src
		for _, tb := range []string{"letters", "history"} {
			if _, err := c.src.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS plain; CREATE TABLE plain.`+tb+` (LIKE public.`+tb+` INCLUDING ALL)`); err != nil {
				t.Fatal(err)
			}
			c.tables = append(c.tables, plainTable{src: "public." + tb, dst: "plain." + tb, key: "seq", cols: pgColumns(t, c.src, tb)})
		}
	} else {
		db := data + "/missive.db"
		if c.src, err = sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)"); err != nil {
			t.Fatal(err)
		}
		copyPath := t.TempDir() + "/plain.db"
		if _, err := c.src.ExecContext(ctx, `VACUUM INTO '`+copyPath+`'`); err != nil {
			t.Fatal(err)
		}
		if c.dst, err = sql.Open("sqlite", "file:"+copyPath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.dst.Close() })
		c.tables = []plainTable{
			{src: "letters", dst: "letters", key: "seq", cols: sqliteColumns(t, c.src, "letters")},
			{src: "letters_fts", dst: "letters_fts", key: "rowid", cols: []string{"rowid", "subject", "body", "notes", "sender"}},
			{src: "history", dst: "history", key: "seq", cols: sqliteColumns(t, c.src, "history")},
		}
	}
	t.Cleanup(func() { c.src.Close() })
	return c
}

func pgColumns(t *testing.T, db *sql.DB, table string) []string {
	rows, err := db.Query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	return scanStrings(t, rows)
}

func sqliteColumns(t *testing.T, db *sql.DB, table string) []string {
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	return scanStrings(t, rows)
}

func scanStrings(t *testing.T, rows *sql.Rows) []string {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// mark is the highest key of each table now.
func (c *plainCopy) mark(t *testing.T) []int64 {
	var out []int64
	for _, tb := range c.tables {
		var n int64
		if err := c.src.QueryRow(`SELECT COALESCE(MAX(` + tb.key + `), 0) FROM ` + tb.src).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// capture reads the rows written since mark, grouped by letter: one
// transaction's worth each (the letter row, its full-text row, its
// history entries), in the order of the tables.
func (c *plainCopy) capture(t *testing.T, mark []int64) [][]plainRow {
	byLetter := map[string][]plainRow{}
	var order []string
	for i, tb := range c.tables {
		q := `SELECT ` + strings.Join(tb.cols, ", ") + ` FROM ` + tb.src + ` WHERE ` + tb.key + ` > ` + strconv.FormatInt(mark[i], 10) + ` ORDER BY ` + tb.key
		rows, err := c.src.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		// The full-text row has the letter's seq; history names its id.
		seqToID := map[int64]string{}
		for _, id := range order {
			seqToID[byLetter[id][0].seq] = id
		}
		for rows.Next() {
			vals := make([]any, len(tb.cols))
			ptrs := make([]any, len(vals))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := plainRow{table: i, vals: vals}
			var letter string
			switch {
			case tb.src == "letters" || tb.src == "public.letters":
				letter = fmt.Sprint(vals[slices.Index(tb.cols, "id")])
				row.seq = toInt64(vals[0])
				order = append(order, letter)
			case tb.key == "rowid":
				letter = seqToID[toInt64(vals[0])]
			default:
				letter = fmt.Sprint(vals[slices.Index(tb.cols, "letter_id")])
			}
			// Rows of no letter of the round (a contact's history) stay out.
			if _, ok := byLetter[letter]; ok || row.seq != 0 {
				byLetter[letter] = append(byLetter[letter], row)
			}
		}
		rows.Close()
	}
	out := make([][]plainRow, len(order))
	for i, id := range order {
		out[i] = byLetter[id]
	}
	return out
}

type plainRow struct {
	table int
	seq   int64
	vals  []any
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case []byte:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return n
	}
	n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return n
}

// replay inserts the letters' rows into the copy, one transaction per
// letter, with c clients, and returns the letters per second.
func (c *plainCopy) replay(t *testing.T, letters [][]plainRow, clients int) float64 {
	if len(letters) == 0 {
		t.Fatal("no letter registered in the round")
	}
	inserts := make([]string, len(c.tables))
	for i, tb := range c.tables {
		ph := make([]string, len(tb.cols))
		for j := range ph {
			ph[j] = "?"
			if c.pg {
				ph[j] = "$" + strconv.Itoa(j+1)
			}
		}
		inserts[i] = `INSERT INTO ` + tb.dst + ` (` + strings.Join(tb.cols, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `)`
	}
	ctx := context.Background()
	next := make(chan []plainRow)
	var wg sync.WaitGroup
	var failed sync.Once
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rows := range next {
				if err := c.insertOne(ctx, inserts, rows); err != nil {
					failed.Do(func() { t.Errorf("plain insert: %v", err) })
				}
			}
		}()
	}
	for _, l := range letters {
		next <- l
	}
	close(next)
	wg.Wait()
	return float64(len(letters)) / time.Since(start).Seconds()
}

func (c *plainCopy) insertOne(ctx context.Context, inserts []string, rows []plainRow) error {
	tx, err := c.dst.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, inserts[r.table], r.vals...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func benchMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchPeersSearch is the search box through the API, common words,
// names, a prefix, phrases (devseed.SearchWords), at 1 then 16 clients on
// n letters, against the same SQL on plain SQLite (bench_search_test.go),
// and the gain of 16 clients over 1 against the goal (1.6 ×).
func benchPeersSearch(t *testing.T, bin string, n, rounds int) []peerRow {
	src := filepath.Join(t.TempDir(), "cached")
	cachedSQLite(t, bin, src, n, "--batch", "500")
	targets := append([]searchTarget{missiveSearch(t, "missive", bin, src, "")}, plainSearches(t, src, false)...)
	res := measureSearch(t, targets, rounds)
	med := func(name string, c int, v func(searchRun) float64) float64 {
		var xs []float64
		for _, r := range res[name+" c="+strconv.Itoa(c)] {
			xs = append(xs, v(r))
		}
		return benchMedian(xs)
	}
	rate := func(r searchRun) float64 { return r.PerSecond() }
	p50 := func(r searchRun) float64 { return float64(r.P50) / 1e6 }
	p95 := func(r searchRun) float64 { return float64(r.P95) / 1e6 }
	var rows []peerRow
	for _, c := range []int{1, 16} {
		head := fmt.Sprintf("recherche, %d courriers, c=%d", n, c)
		rows = append(rows,
			peerRow{head + ", requêtes/s (même SQL, SQLite seul)", med("missive", c, rate), med(targets[1].name, c, rate), "%.1f", true},
			peerRow{head + ", p50 ms", med("missive", c, p50), med(targets[1].name, c, p50), "%.1f", false},
			peerRow{head + ", p95 ms", med("missive", c, p95), med(targets[1].name, c, p95), "%.1f", false})
	}
	gain := med("missive", 16, rate) / med("missive", 1, rate)
	return append(rows, peerRow{"recherche, débit c=16 / c=1 (objectif)", gain, 1.6, "%.2f", true})
}

//go:build bench

package appliance_test

// TestBenchDiskPerLetter measures what one e-mail of about 20 KB costs on
// disk in the database: it takes N messages in through the Service and
// Apply (IntakeMail, as the mail bridge does, without the .eml blob, which
// lives outside the database) and prints, per table, the bytes each letter
// added, on SQLite and PostgreSQL. It is `go test -tags bench -run
// TestBenchDiskPerLetter -v ./appliance/` (part of `make bench`), never part
// of `make test`.
//
//	MISSIVE_BENCH_DISK_LETTERS  messages taken in (default 500)
//
// SQLite: the pages of each table and of its indexes (dbstat, free space
// inside pages included), and the file's growth after a checkpoint.
// PostgreSQL: pg_total_relation_size (heap, TOAST and indexes) per table.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/devseed"
)

func TestBenchDiskPerLetter(t *testing.T) {
	n := 500
	if v := os.Getenv("MISSIVE_BENCH_DISK_LETTERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("MISSIVE_BENCH_DISK_LETTERS=%q: a positive number is expected", v)
		}
	}
	apptest.ForEachDialect(t, func(t *testing.T, dsn string) {
		env := apptest.New(t, dsn)
		db := benchRawDB(t, env, dsn)
		before := tableBytes(t, db, dsn)
		fileBefore := sqliteFileBytes(t, db, env.Dir, dsn)
		g := devseed.New(devseed.Options{Seed: 7, Today: time.Now()})
		var bodyBytes int
		for i := range n {
			in := benchEmail(g)
			bodyBytes += len(in.Body)
			if _, err := env.Svc.IntakeMail(t.Context(), env.Admin, appliance.MailIntakeInput{
				Key: fmt.Sprintf("mid:bench-%d@exemple.test", i), MessageID: fmt.Sprintf("bench-%d@exemple.test", i), Kind: "letter",
				Source: "smtp", FromAddress: in.Sender.Email, Subject: in.Subject, Register: &in,
			}); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		after := tableBytes(t, db, dsn)
		fileAfter := sqliteFileBytes(t, db, env.Dir, dsn)
		printDiskTable(t, dsn, n, bodyBytes, before, after, fileAfter-fileBefore)
		if dsn != "" {
			// What of the letters' share is the text and what the index.
			var body, tsv float64
			if err := db.QueryRowContext(t.Context(), `SELECT avg(pg_column_size(body)), avg(pg_column_size(tsv)) FROM letters`).Scan(&body, &tsv); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("postgres: letters.body %.0f bytes stored (compressed), letters.tsv %.0f bytes per letter\n", body, tsv)
		}
	})
}

// benchEmail is a registration with a body of about 20 KB of French mail
// text, different for every letter.
func benchEmail(g *devseed.Generator) appliance.RegisterInput {
	in := benchRegisterInput(benchIncoming(g))
	var b strings.Builder
	b.WriteString(in.Body)
	for b.Len() < 20_000 {
		b.WriteString("\n\n")
		b.WriteString(g.Next().Body)
	}
	in.Body = b.String()
	if in.Sender.Email == "" {
		in.Sender.Email = "bench@exemple.test"
	}
	return in
}

func benchRawDB(t *testing.T, env *apptest.Env, dsn string) *sql.DB {
	t.Helper()
	driver, src := "pgx", dsn
	if dsn == "" {
		driver, src = "sqlite", "file:"+filepath.Join(env.Dir, "missive.db")+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tableBytes is the disk each table takes with its indexes; FTS5's shadow
// tables are counted each under its own name.
func tableBytes(t *testing.T, db *sql.DB, dsn string) map[string]int64 {
	t.Helper()
	q := `SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name`
	if dsn != "" {
		q = `SELECT tablename, pg_total_relation_size(quote_ident(tablename)) FROM pg_tables WHERE schemaname = current_schema()`
	}
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("table sizes: %v", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sqliteFileBytes is missive.db's size once the WAL is checkpointed into
// it (0 on PostgreSQL).
func sqliteFileBytes(t *testing.T, db *sql.DB, dir, dsn string) int64 {
	t.Helper()
	if dsn != "" {
		return 0
	}
	if _, err := db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "missive.db"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func printDiskTable(t *testing.T, dsn string, n, bodyBytes int, before, after map[string]int64, fileGrowth int64) {
	dialect := "sqlite"
	if dsn != "" {
		dialect = "postgres"
	}
	var names []string
	var total int64
	for name, b := range after {
		if d := b - before[name]; d > 0 {
			names = append(names, name)
			total += d
		}
	}
	slices.SortFunc(names, func(a, b string) int { return int((after[b] - before[b]) - (after[a] - before[a])) })
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(&sb, "%s: %d messages, body %d bytes on average; bytes per letter:\n", dialect, n, bodyBytes/n)
	for _, name := range names {
		fmt.Fprintf(w, "%s\t%d\t\n", name, (after[name]-before[name])/int64(n))
	}
	fmt.Fprintf(w, "all tables\t%d\t\n", total/int64(n))
	if dsn == "" {
		fmt.Fprintf(w, "missive.db file\t%d\t\n", fileGrowth/int64(n))
	}
	w.Flush()
	fmt.Print(sb.String())
}

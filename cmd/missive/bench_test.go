//go:build bench

package main

// TestBench measures the built binary on a town's worth of mail, on SQLite
// and on PostgreSQL, and prints one table side by side. It is `make bench`,
// never part of `make test`: it takes tens of minutes. Environment:
//
//	MISSIVE_BENCH_LETTERS  letters to seed (default 100000)
//	MISSIVE_BENCH_DBS      "sqlite,postgres" (default), or one of them
//
// The seeded SQLite data dir is cached under /tmp/missive-bench-cache, keyed
// by letter count and seed, so that a second run only measures.

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"missive/appliance/devseed"
	"missive/appliance/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	benchSeed     = 1
	benchWorkers  = 4
	benchReadTime = 10 * time.Second
	benchPostTime = 20 * time.Second
	// benchCacheVersion changes when the generator or the seeding changes,
	// so that a stale cache is not measured as if it were new data.
	benchCacheVersion = "v2"
)

// figures are one database's measures.
type figures struct {
	db                   string
	letters              int
	seedTime             time.Duration // 0: the data dir came from the cache
	seedRate             float64
	post                 devseed.Result
	list, search, letter devseed.Result
	// The mail room's perimeter is "every non-confidential letter": the
	// filter an administrator's reads skip.
	listMail, searchMail devseed.Result
	rssIdle, rssEnd, hwm int64 // kB
	dbBytes              int64
}

func TestBench(t *testing.T) {
	n := 100_000
	if v := os.Getenv("MISSIVE_BENCH_LETTERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("MISSIVE_BENCH_LETTERS=%q: a number of letters ≥ 100 expected", v)
		}
	}
	dbs := []string{"sqlite", "postgres"}
	if v := os.Getenv("MISSIVE_BENCH_DBS"); v != "" {
		dbs = strings.Split(v, ",")
	}
	bin := buildBinary(t)
	var all []figures
	for _, db := range dbs {
		switch db {
		case "sqlite", "postgres":
		default:
			t.Fatalf("MISSIVE_BENCH_DBS: %q is neither sqlite nor postgres", db)
		}
		t.Run(db, func(t *testing.T) { all = append(all, benchOne(t, bin, db, n)) })
	}
	printFigures(os.Stdout, all)
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "missive")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func benchOne(t *testing.T, bin, db string, n int) figures {
	f := figures{db: db, letters: n}
	data := filepath.Join(t.TempDir(), "data")
	dsn := ""
	if db == "postgres" {
		dsn = pgtest.DSN(t)
		f.seedTime = seed(t, bin, data, dsn, n)
	} else {
		f.seedTime = cachedSQLite(t, bin, data, n)
	}
	if f.seedTime > 0 {
		f.seedRate = float64(n) / f.seedTime.Seconds()
	}
	srv := startServer(t, bin, data, dsn)
	token := strings.TrimSpace(mustRun(t, bin, "token", "create", "--data", data, "--db", dsn, "--user", "admin", "--name", "bench"))
	f.rssIdle, _ = memory(t, srv.pid)

	ctx := context.Background()
	opts := devseed.LoadOptions{URL: srv.url, Token: token, Concurrency: 4, Seed: benchSeed}
	// A short warm-up, so that the first scenario does not pay for the
	// page cache alone.
	warm := opts
	warm.Duration, warm.MaxRequests, warm.Scenarios = benchReadTime, 40, []string{devseed.ScenarioList, devseed.ScenarioSearch}
	if _, err := devseed.RunLoad(ctx, warm); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	reads := opts
	reads.Duration = benchReadTime
	rs, err := devseed.RunLoad(ctx, reads)
	if err != nil {
		t.Fatalf("reads: %v", err)
	}
	f.list, f.letter, f.search = rs[0], rs[1], rs[2]
	mail := reads
	mail.Token = strings.TrimSpace(mustRun(t, bin, "token", "create", "--data", data, "--db", dsn, "--user", "courrier", "--name", "bench"))
	mail.Scenarios = []string{devseed.ScenarioList, devseed.ScenarioSearch}
	ms, err := devseed.RunLoad(ctx, mail)
	if err != nil {
		t.Fatalf("reads as the mail room: %v", err)
	}
	for i := range ms {
		ms[i].Scenario += " (service courrier)"
	}
	f.listMail, f.searchMail = ms[0], ms[1]
	rs = append(rs, ms...)
	writes := opts
	writes.Duration, writes.Write, writes.Scenarios = benchPostTime, true, []string{devseed.ScenarioRegister}
	ws, err := devseed.RunLoad(ctx, writes)
	if err != nil {
		t.Fatalf("writes: %v", err)
	}
	f.post = ws[0]
	f.rssEnd, f.hwm = memory(t, srv.pid)
	for _, r := range append(rs, ws...) {
		if r.Errors > 0 || r.Requests == 0 {
			t.Errorf("%s %s: %d requests, %d errors; first: %s", db, r.Scenario, r.Requests, r.Errors, r.FirstError)
		}
	}
	devseed.PrintResults(os.Stdout, append(rs, ws...))
	f.dbBytes = dbSize(t, data, dsn)
	return f
}

// cachedSQLite copies the cached seeded data dir into data, seeding the
// cache first if needed. It returns the seeding time, 0 on a cache hit.
// Extra arguments of dev seed (--batch) make a cache of their own.
func cachedSQLite(t *testing.T, bin, data string, n int, extra ...string) time.Duration {
	name := fmt.Sprintf("sqlite-%d-seed%d-%s", n, benchSeed, benchCacheVersion)
	if len(extra) > 0 {
		name += strings.ReplaceAll(strings.Join(extra, ""), "-", "_")
	}
	cache := filepath.Join(os.TempDir(), "missive-bench-cache", name)
	var took time.Duration
	if _, err := os.Stat(filepath.Join(cache, "complete")); err != nil {
		os.RemoveAll(cache + ".building")
		took = seed(t, bin, cache+".building", "", n, extra...)
		if err := os.WriteFile(filepath.Join(cache+".building", "complete"), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(cache)
		if err := os.Rename(cache+".building", cache); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("données SQLite en cache: %s", cache)
	}
	if err := copyDir(cache, data); err != nil {
		t.Fatalf("copy cached data dir: %v", err)
	}
	return took
}

// seed runs `missive dev seed`, showing its progress lines as they come.
func seed(t *testing.T, bin, data, dsn string, n int, extra ...string) time.Duration {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"dev", "seed", "--data", data, "--db", dsn, "--letters", strconv.Itoa(n),
		"--seed", strconv.Itoa(benchSeed), "--workers", strconv.Itoa(benchWorkers)}, extra...)...)
	cmd.Env = append(os.Environ(), "MISSIVE_ADMIN_PASSWORD=motdepasse-bench-1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var tail []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, " courriers (") {
			t.Logf("%s remplissage: %s", dsnName(dsn), line)
		}
		tail = append(tail[max(0, len(tail)-20):], line)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("missive dev seed: %v\n%s\n%s", err, out.String(), strings.Join(tail, "\n"))
	}
	took := time.Since(start)
	t.Logf("%s", strings.TrimSpace(out.String()))
	return took
}

func dsnName(dsn string) string {
	if dsn == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

type server struct {
	pid int
	url string
}

var readyRe = regexp.MustCompile(`Missive est prêt: (http://\S+)/`)

func startServer(t *testing.T, bin, data, dsn string) server {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--data", data, "--db", dsn, "--listen", "127.0.0.1:0")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := readyRe.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urls:
		return server{pid: cmd.Process.Pid, url: u}
	case <-exited:
	case <-time.After(5 * time.Minute):
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("missive serve did not get ready:\n%s", b)
	return server{}
}

func mustRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("missive %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// memory reads the resident set and its peak, in kB, from /proc.
func memory(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read memory of the server: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb
		case "VmHWM":
			hwm = kb
		}
	}
	if rss == 0 {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, hwm
}

func dbSize(t *testing.T, data, dsn string) int64 {
	if dsn == "" {
		var total int64
		for _, name := range []string{"missive.db", "missive.db-wal"} {
			if fi, err := os.Stat(filepath.Join(data, name)); err == nil {
				total += fi.Size()
			}
		}
		return total
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int64
	if err := db.QueryRow(`SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
		t.Errorf("size of the PostgreSQL database: %v", err)
	}
	return size
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			return os.MkdirAll(target, 0o750)
		case !fi.Mode().IsRegular():
			return nil // a stale socket
		}
		return copyFile(p, target, fi.Mode().Perm())
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func printFigures(w io.Writer, fs []figures) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w)
	head := "mesure\t"
	for _, f := range fs {
		head += map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[f.db] + "\t"
	}
	if len(fs) == 2 {
		head += "PG/SQLite\t"
	}
	fmt.Fprintln(tw, head)
	row := func(name string, v func(f figures) float64, format func(float64) string) {
		line := name + "\t"
		for _, f := range fs {
			line += format(v(f)) + "\t"
		}
		if len(fs) == 2 {
			ratio := "–"
			if a, b := v(fs[0]), v(fs[1]); a > 0 && b > 0 {
				ratio = devseed.Decimal(b/a) + " ×"
			}
			line += ratio + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	count := func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }
	perSec := func(x float64) string {
		if x == 0 {
			return "en cache"
		}
		return devseed.Decimal(x) + "/s"
	}
	ms := func(x float64) string { return devseed.Millis(time.Duration(x)) }
	mb := func(x float64) string { return devseed.Decimal(x/1024) + " Mo" }
	row("courriers en base", func(f figures) float64 { return float64(f.letters) }, count)
	row("remplissage (raft, 4 fils)", func(f figures) float64 { return f.seedRate }, perSec)
	row("durée du remplissage (min)", func(f figures) float64 { return f.seedTime.Minutes() }, func(x float64) string {
		if x == 0 {
			return "en cache"
		}
		return devseed.Decimal(x)
	})
	row("POST /letters (4 clients, 20 s)", func(f figures) float64 { return f.post.PerSecond() }, perSec)
	row("POST p50", func(f figures) float64 { return float64(f.post.P50) }, ms)
	row("POST p95", func(f figures) float64 { return float64(f.post.P95) }, ms)
	row("liste admin p50", func(f figures) float64 { return float64(f.list.P50) }, ms)
	row("liste admin p95", func(f figures) float64 { return float64(f.list.P95) }, ms)
	row("liste admin débit", func(f figures) float64 { return f.list.PerSecond() }, perSec)
	row("recherche admin p50", func(f figures) float64 { return float64(f.search.P50) }, ms)
	row("recherche admin p95", func(f figures) float64 { return float64(f.search.P95) }, ms)
	row("recherche admin débit", func(f figures) float64 { return f.search.PerSecond() }, perSec)
	row("liste, service courrier p50", func(f figures) float64 { return float64(f.listMail.P50) }, ms)
	row("liste, service courrier p95", func(f figures) float64 { return float64(f.listMail.P95) }, ms)
	row("recherche, service courrier p50", func(f figures) float64 { return float64(f.searchMail.P50) }, ms)
	row("recherche, service courrier p95", func(f figures) float64 { return float64(f.searchMail.P95) }, ms)
	row("page courrier p50", func(f figures) float64 { return float64(f.letter.P50) }, ms)
	row("page courrier p95", func(f figures) float64 { return float64(f.letter.P95) }, ms)
	row("page courrier débit", func(f figures) float64 { return f.letter.PerSecond() }, perSec)
	row("mémoire au repos (VmRSS)", func(f figures) float64 { return float64(f.rssIdle) }, mb)
	row("mémoire fin de charge (VmRSS)", func(f figures) float64 { return float64(f.rssEnd) }, mb)
	row("mémoire pic (VmHWM)", func(f figures) float64 { return float64(f.hwm) }, mb)
	row("taille de la base", func(f figures) float64 { return float64(f.dbBytes) / 1024 }, mb)
	tw.Flush()
}

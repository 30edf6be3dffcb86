//go:build bench

package main

// TestBenchBackup measures backups on a data dir of a town's worth of
// letters with their scans, server stopped, in one run: `tar | zstd` of the
// data dir and restic 0.14 on the same dir as the references, then a full
// `missive backup run` (verification included), a run with nothing new,
// and a restore; time, bytes and memory peak of each. Part of `make bench`.
//
//	MISSIVE_BENCH_LETTERS  letters to seed (default 100000), each with a scan
//
// The seeded data dir is cached under /tmp/missive-bench-cache/backup-…; the
// runs work on a copy, so the cache stays as seeded.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const benchBackupCache = "backup-v1"

type benchRun struct {
	name    string
	elapsed time.Duration
	rssKB   int64
	out     string
}

// timed runs a command under /usr/bin/time for its wall time and peak RSS.
func timed(t *testing.T, name, stdin string, env []string, args ...string) benchRun {
	t.Helper()
	stats := filepath.Join(t.TempDir(), "time")
	cmd := exec.Command("/usr/bin/time", append([]string{"-o", stats, "-f", "%e %M"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	secs, _ := strconv.ParseFloat(f[0], 64)
	rss, _ := strconv.ParseInt(f[1], 10, 64)
	return benchRun{name: name, elapsed: time.Duration(secs * float64(time.Second)), rssKB: rss, out: string(out)}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// cachedBackupData returns a seeded data dir with documents, seeding it
// once (it takes the better part of an hour for 100,000 letters).
func cachedBackupData(t *testing.T, bin string, n int) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "missive-bench-cache", fmt.Sprintf("%s-%d", benchBackupCache, n))
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return data
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command(bin, "dev", "seed", "--data", data, "--letters", strconv.Itoa(n), "--seed", "1", "--documents")
	cmd.Env = missiveEnvBench()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dev seed: %v\n%s", err, out)
	}
	t.Logf("seeded %d letters with documents in %s", n, time.Since(start).Round(time.Second))
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

func missiveEnvBench() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MISSIVE_") {
			env = append(env, kv)
		}
	}
	return env
}

var benchSentRe = regexp.MustCompile(`dont (\S+ \S+) nouveaux; (\S+ \S+) envoyés, en (\S+) \(dont (\S+) de vérification\)`)

func TestBenchBackup(t *testing.T) {
	n := 100_000
	if v := os.Getenv("MISSIVE_BENCH_LETTERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("MISSIVE_BENCH_LETTERS=%q: a number of letters ≥ 100 expected", v)
		}
	}
	for _, tool := range []string{"tar", "zstd", "restic", "/usr/bin/time"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s introuvable (apt-get install tar zstd restic time): %v", tool, err)
		}
	}
	bin := buildBinary(t)
	cached := cachedBackupData(t, bin, n)
	work := t.TempDir()
	data := filepath.Join(work, "data")
	if out, err := exec.Command("cp", "-a", cached, data).CombinedOutput(); err != nil {
		t.Fatalf("copy the data dir: %v\n%s", err, out)
	}
	size := dirSize(t, data)
	const pass = "phrase de passe du banc de sauvegarde"

	tarRun := timed(t, "tar | zstd", "", nil, "sh", "-c", fmt.Sprintf("tar -C %s -cf - . | zstd -q -o %s", data, filepath.Join(work, "data.tar.zst")))
	tarSize := dirSize(t, filepath.Join(work, "data.tar.zst"))
	resticEnv := []string{"RESTIC_PASSWORD=" + pass, "RESTIC_CACHE_DIR=" + filepath.Join(work, "restic-cache")}
	timed(t, "restic init", "", resticEnv, "restic", "init", "-q", "-r", filepath.Join(work, "restic"))
	resticRun := timed(t, "restic backup", "", resticEnv, "restic", "-q", "-r", filepath.Join(work, "restic"), "backup", data)
	resticSize := dirSize(t, filepath.Join(work, "restic"))

	target := "file://" + filepath.Join(work, "missive")
	full := timed(t, "missive backup run", pass+"\n", missiveEnvBench(), bin, "backup", "run", "--data", data, "--target", target, "--passphrase-stdin")
	fullSize := dirSize(t, filepath.Join(work, "missive"))
	inc := timed(t, "missive backup run (rien de neuf)", pass+"\n", missiveEnvBench(), bin, "backup", "run", "--data", data, "--target", target, "--passphrase-stdin")
	m := benchSentRe.FindStringSubmatch(inc.out)
	mf := benchSentRe.FindStringSubmatch(full.out)
	if m == nil || mf == nil {
		t.Fatalf("runs said:\n%s\n%s", full.out, inc.out)
	}
	restore := timed(t, "missive backup restore", pass+"\n", missiveEnvBench(), bin, "backup", "restore", "--target", target, "--passphrase-stdin", "--to", filepath.Join(work, "restored"))
	verify := timed(t, "missive backup verify --read-data", pass+"\n", missiveEnvBench(), bin, "backup", "verify", "--target", target, "--passphrase-stdin", "--read-data")

	mb := func(b int64) string { return fmt.Sprintf("%.0f Mo", float64(b)/1e6) }
	rate := func(d time.Duration) string { return fmt.Sprintf("%.0f Mo/s", float64(size)/1e6/d.Seconds()) }
	fmt.Printf("\nSauvegarde de %d courriers avec leurs scans: dossier de données de %s, serveur arrêté\n\n", n, mb(size))
	fmt.Printf("%-36s %10s %10s %12s %10s\n", "", "durée", "débit", "sur la cible", "mémoire")
	row := func(r benchRun, stored string) {
		fmt.Printf("%-36s %10s %10s %12s %10s\n", r.name, r.elapsed.Round(100*time.Millisecond), rate(r.elapsed), stored, mb(r.rssKB*1000))
	}
	row(tarRun, mb(tarSize))
	row(resticRun, mb(resticSize))
	row(full, mb(fullSize))
	fmt.Printf("%-36s %10s %10s %12s %10s   (%s nouveaux, %s envoyés, vérification %s)\n", inc.name, inc.elapsed.Round(100*time.Millisecond), "", "", mb(inc.rssKB*1000), m[1], m[2], m[4])
	row(restore, "")
	row(verify, "")
	fmt.Printf("\nDébit de la sauvegarde complète (vérification comprise: %s): %.2f × tar | zstd, %.2f × restic 0.14\n",
		mf[4], tarRun.elapsed.Seconds()/full.elapsed.Seconds(), resticRun.elapsed.Seconds()/full.elapsed.Seconds())
}

//go:build bench

package mailbridge

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"missive/appliance/apptest"
	"missive/appliance/store"
	"missive/internal/benchkit"
	"missive/mailbridge/internal/peers"

	"net/smtp"
)

// TestBenchPeers is `make bench-peers`'s mail and start rows: the built
// binary (raft, the store, the SMTP listener, as installed) against its
// peers on this machine, interleaved in the same run so that the load of
// the box weighs on both alike. Each row is one line
//
//	| row | missive | peer | ratio |
//
// on stdout, which the Makefile collects into one table. ratio is how
// Missive fares against the peer: ≥ 1 means as good or better, whatever
// the unit (a rate is missive/peer, a time or a size peer/missive).
// Environment: MISSIVE_BENCH_SMTP_MESSAGES (default 2000 per run),
// MISSIVE_BENCH_ROUNDS (default 3; medians are printed),
// MISSIVE_BENCH_BINARY (another build of missive to measure, e.g. the
// previous version, for a before/after), MISSIVE_BENCH_BASELINE (another
// build measured in the same rounds, interleaved, for a before/after under
// the same load; logged, not in the table), MISSIVE_BENCH_PERF=FILE (perf
// record of Missive during its SMTP runs; read it with `perf report -i FILE`).
func TestBenchPeers(t *testing.T) {
	messages := benchkit.EnvInt(t, "MISSIVE_BENCH_SMTP_MESSAGES", 2000)
	rounds := benchkit.EnvInt(t, "MISSIVE_BENCH_ROUNDS", 3)
	bin := os.Getenv("MISSIVE_BENCH_BINARY")
	if bin == "" {
		bin = missiveBinary(t)
	}

	var starts []time.Duration
	var rss []int64
	for range rounds {
		d, kb := coldStart(t, bin)
		starts, rss = append(starts, d), append(rss, kb)
	}

	pf := peers.StartPostfix(t)
	sink := peers.SMTPSink(t)
	data := filepath.Join(t.TempDir(), "data")
	s := smtpServer(t, bin, data)
	var base *server
	baseBin, baseData := os.Getenv("MISSIVE_BENCH_BASELINE"), filepath.Join(t.TempDir(), "data")
	if baseBin != "" {
		base = smtpServer(t, baseBin, baseData)
	}
	pfIdle := sessionRSS(pf.MasterPID(t))

	var mRate, pRate, sRate, mCPU, pCPU, bRate, bCPU []float64
	for range rounds {
		c0 := sessionCPU(pf.MasterPID(t))
		pRate = append(pRate, smtpSource(t, pf.Addr, messages))
		pCPU = append(pCPU, msPer(sessionCPU(pf.MasterPID(t))-c0, messages))

		c0 = procCPU(t, s.cmd.Process.Pid)
		stop := benchkit.PerfRecord(t, s.cmd.Process.Pid)
		mRate = append(mRate, smtpSource(t, s.smtpAddr, messages))
		stop()
		mCPU = append(mCPU, msPer(procCPU(t, s.cmd.Process.Pid)-c0, messages))

		sRate = append(sRate, smtpSource(t, sink.Addr, messages))

		if base != nil {
			c0 = procCPU(t, base.cmd.Process.Pid)
			bRate = append(bRate, smtpSource(t, base.smtpAddr, messages))
			bCPU = append(bCPU, msPer(procCPU(t, base.cmd.Process.Pid)-c0, messages))
		}
	}
	if n := pf.Queued(t); n < rounds*messages {
		t.Fatalf("Postfix queued %d messages, want %d", n, rounds*messages)
	}
	s.stop(t)
	if n := lettersIn(t, data); n != rounds*messages {
		t.Fatalf("Missive registered %d letters, want %d: every accepted message must be a letter", n, rounds*messages)
	}

	t.Logf("smtp-source -s 20 -m %d -l 20000, %d rounds: Missive %v msg/s, Postfix %v, smtp-sink %v; CPU ms/msg Missive %v, Postfix %v",
		messages, rounds, mRate, pRate, sRate, mCPU, pCPU)
	if base != nil {
		base.stop(t)
		if n := lettersIn(t, baseData); n != rounds*messages {
			t.Fatalf("the baseline registered %d letters, want %d", n, rounds*messages)
		}
		t.Logf("same rounds, medians: this build %.0f msg/s (%.2f × Postfix), %.2f ms CPU/msg; baseline %s %.0f msg/s (%.2f × Postfix), %.2f ms CPU/msg",
			median(mRate), median(mRate)/median(pRate), median(mCPU), baseBin, median(bRate), median(bRate)/median(pRate), median(bCPU))
	}
	row := func(name string, m, p float64, format string, higherBetter bool) {
		ratio := p / m
		if higherBetter {
			ratio = m / p
		}
		fmt.Printf("| %s | "+format+" | "+format+" | %.2f |\n", name, m, p, ratio)
	}
	row("SMTP, messages durables/s (Postfix, file d'attente)", median(mRate), median(pRate), "%.0f", true)
	row("SMTP, messages/s (smtp-sink, sans disque)", median(mRate), median(sRate), "%.0f", true)
	row("SMTP, ms CPU par message (Postfix)", median(mCPU), median(pCPU), "%.2f", false)
	row("démarrage à froid jusqu'à /readyz, s (objectif)", median(seconds(starts)), 0.3, "%.2f", false)
	row("mémoire au repos, Mo (Postfix)", float64(medianInt(rss))/1024, float64(pfIdle)/1024, "%.1f", false)
}

// smtpServer starts bin's `missive serve` on data with the address
// mairie@ville.test; smtp-source opens its 20 sessions from one address.
func smtpServer(t *testing.T, bin, data string) *server {
	t.Helper()
	s := startServer(t, bin, data, "smtp_max_connections_per_address = 100")
	cli(t, bin, "", "mail", "address", "add", "--data", data, "--tenant", "default", "mairie@ville.test")
	// The address reaches the listener's configuration when RCPT takes it.
	// Looks every 200 ms: refused recipients count against the sender.
	if !apptest.Wait(time.Minute, 200*time.Millisecond, func() bool { return takesRcpt(s.smtpAddr) }) {
		t.Fatal("the SMTP listener does not take mairie@ville.test")
	}
	return s
}

// smtpSource runs smtp-source with 20 sessions and 20 kB messages and
// returns the messages per second.
func smtpSource(t *testing.T, addr string, messages int) float64 {
	t.Helper()
	start := time.Now()
	out, err := exec.Command("smtp-source", "-s", "20", "-m", strconv.Itoa(messages), "-l", "20000",
		"-f", "citoyen@exemple.test", "-t", "mairie@ville.test", addr).CombinedOutput()
	if err != nil {
		t.Fatalf("smtp-source %s: %v\n%s", addr, err, out)
	}
	return float64(messages) / time.Since(start).Seconds()
}

// coldStart starts `missive serve` on an empty data dir and returns the
// time until /readyz answers 200, and the resident memory two seconds
// later.
func coldStart(t *testing.T, bin string) (time.Duration, int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", addr)
	cmd.Env = append(os.Environ(), "MISSIVE_ADMIN_PASSWORD=motdepasse-admin-1")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > time.Minute {
			t.Fatal("missive serve not ready after a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(2 * time.Second)
	return took, procRSS(t, cmd.Process.Pid)
}

func lettersIn(t *testing.T, data string) int {
	t.Helper()
	st, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, n, err := st.Reader().Letters(context.Background(), store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// procStat is the fields of /proc/PID/stat after the command name.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(string(b), ')')
	return strings.Fields(string(b[i+1:])), nil
}

// clockTick is USER_HZ, 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// procCPU is the user and system time of a process.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	f, err := procStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}

// sessionPIDs lists the processes of a session (Postfix's master and the
// daemons it started).
func sessionPIDs(sid int) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, err := procStat(pid); err == nil && f[3] == strconv.Itoa(sid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// sessionCPU is the CPU time of a session's processes, with that of the
// children they reaped (Postfix's daemons exit and come back).
func sessionCPU(sid int) time.Duration {
	var total int64
	for _, pid := range sessionPIDs(sid) {
		f, err := procStat(pid)
		if err != nil {
			continue
		}
		for _, i := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			total += v
		}
	}
	return time.Duration(total) * clockTick
}

func procRSS(t *testing.T, pid int) int64 {
	t.Helper()
	kb := rssOf(pid)
	if kb == 0 {
		t.Fatalf("no resident memory for process %d", pid)
	}
	return kb
}

// rssOf is VmRSS in kB, 0 for a process gone.
func rssOf(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// sessionRSS is the resident memory of a session's processes, in kB.
func sessionRSS(sid int) int64 {
	var total int64
	for _, pid := range sessionPIDs(sid) {
		total += rssOf(pid)
	}
	return total
}

func msPer(d time.Duration, n int) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }

func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// takesRcpt says whether the SMTP server at addr accepts a message for
// mairie@ville.test; it sends none.
func takesRcpt(addr string) bool {
	c, err := smtp.Dial(addr)
	if err != nil {
		return false
	}
	defer c.Close()
	if c.Hello("bench.test") != nil || c.Mail("citoyen@exemple.test") != nil {
		return false
	}
	ok := c.Rcpt("mairie@ville.test") == nil
	c.Reset()
	c.Quit()
	return ok
}

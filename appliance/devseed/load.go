package devseed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// The scenarios of RunLoad, named as the table prints them. Each one is what
// an agent's browser asks most: the basket, a letter's page, the search box,
// and the mail room's registration form.
const (
	ScenarioList     = "liste"
	ScenarioLetter   = "courrier"
	ScenarioSearch   = "recherche"
	ScenarioRegister = "enregistrement"
)

// LoadOptions bound a load run in time and in count, so that a forgotten
// run cannot hammer a server for ever.
type LoadOptions struct {
	URL         string // http://127.0.0.1:PORT
	Token       string // Bearer token
	Duration    time.Duration
	Concurrency int
	MaxRequests int // per scenario
	Write       bool
	AllowRemote bool
	Seed        uint64
	// Scenarios restricts the run; empty means all (registration only
	// with Write).
	Scenarios []string
}

// MaxDuration caps one scenario's duration whatever the caller asks.
const MaxDuration = 10 * time.Minute

// Result is one scenario's measures.
type Result struct {
	Scenario   string
	Requests   int
	Errors     int
	Elapsed    time.Duration
	P50        time.Duration
	P95        time.Duration
	P99        time.Duration
	Max        time.Duration
	FirstError string
}

// PerSecond is the throughput of successful requests.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// CheckLoopback refuses a URL whose host is not this machine: a load test
// against someone's production server must be a deliberate choice.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("adresse %q invalide: attendu http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s n'est pas une adresse locale: un test de charge vise un serveur de cette machine (--allow-remote pour passer outre)", host)
}

type loader struct {
	o      LoadOptions
	client *http.Client
	ids    []string
}

// RunLoad runs the scenarios one after the other, each with the server to
// itself for Duration or MaxRequests requests, whichever comes first.
func RunLoad(ctx context.Context, o LoadOptions) ([]Result, error) {
	if !o.AllowRemote {
		if err := CheckLoopback(o.URL); err != nil {
			return nil, err
		}
	}
	o.URL = strings.TrimSuffix(o.URL, "/")
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	o.Duration = min(o.Duration, MaxDuration)
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	o.Concurrency = min(o.Concurrency, 256)
	if o.MaxRequests <= 0 {
		o.MaxRequests = 100_000
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = []string{ScenarioList, ScenarioLetter, ScenarioSearch}
		if o.Write {
			o.Scenarios = append(o.Scenarios, ScenarioRegister)
		}
	}
	l := &loader{o: o, client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, MaxConnsPerHost: o.Concurrency},
	}}
	defer l.client.CloseIdleConnections()
	var out []Result
	for _, sc := range o.Scenarios {
		var req func(r *rand.Rand, g *Generator) (*http.Request, int, error)
		switch sc {
		case ScenarioList:
			req = l.list
		case ScenarioLetter:
			if err := l.sampleIDs(ctx); err != nil {
				return out, err
			}
			req = l.letter
		case ScenarioSearch:
			req = l.search
		case ScenarioRegister:
			if !o.Write {
				return out, errors.New("le scénario enregistrement écrit: ajoutez --write")
			}
			req = l.register
		default:
			return out, fmt.Errorf("scénario %q inconnu (liste, courrier, recherche, enregistrement)", sc)
		}
		out = append(out, l.run(ctx, sc, req))
	}
	return out, nil
}

func (l *loader) newRequest(method, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, l.o.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+l.o.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// list is the basket: newest arrivals first, sometimes narrowed to a status.
func (l *loader) list(r *rand.Rand, _ *Generator) (*http.Request, int, error) {
	q := url.Values{"sort": {"arrival"}, "desc": {"true"}, "per_page": {"50"}, "page": {strconv.Itoa(1 + r.IntN(3))}}
	if s := pick(r, []string{"", "", "new", "in_progress"}); s != "" {
		q.Set("status", s)
	}
	req, err := l.newRequest("GET", "/api/v1/letters?"+q.Encode(), nil)
	return req, 200, err
}

func (l *loader) letter(r *rand.Rand, _ *Generator) (*http.Request, int, error) {
	req, err := l.newRequest("GET", "/api/v1/letters/"+pick(r, l.ids), nil)
	return req, 200, err
}

func (l *loader) search(r *rand.Rand, _ *Generator) (*http.Request, int, error) {
	q := url.Values{"q": {pick(r, SearchWords)}, "per_page": {"50"}}
	req, err := l.newRequest("GET", "/api/v1/letters?"+q.Encode(), nil)
	return req, 200, err
}

func (l *loader) register(_ *rand.Rand, g *Generator) (*http.Request, int, error) {
	gl := g.Next()
	for gl.Category != domain.Incoming {
		gl = g.Next()
	}
	in := appliance.RegisterInput{Category: gl.Category, Subject: gl.Subject, Body: gl.Body, LetterDate: gl.LetterDate,
		Priority: gl.Priority, Channel: gl.Channel, Sender: contactInput(gl.Correspondent)}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, 0, err
	}
	req, err := l.newRequest("POST", "/api/v1/letters", b)
	return req, 201, err
}

// sampleIDs reads letter ids from pages spread over the whole table, so
// that letter pages are not all served from the newest, hottest rows.
func (l *loader) sampleIDs(ctx context.Context) error {
	if len(l.ids) > 0 {
		return nil
	}
	type page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		Total int `json:"total"`
	}
	get := func(p, per int) (*page, error) {
		req, err := l.newRequest("GET", fmt.Sprintf("/api/v1/letters?per_page=%d&page=%d", per, p), nil)
		if err != nil {
			return nil, err
		}
		resp, err := l.client.Do(req.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return nil, fmt.Errorf("GET /api/v1/letters: %s: %s", resp.Status, b)
		}
		var pg page
		return &pg, json.NewDecoder(resp.Body).Decode(&pg)
	}
	first, err := get(1, 1)
	if err != nil {
		return err
	}
	if first.Total == 0 {
		return errors.New("aucun courrier sur ce serveur: lancez d'abord « missive dev seed »")
	}
	pages := max(1, first.Total/100)
	r := rand.New(rand.NewPCG(l.o.Seed, 7))
	for i := 0; i < 10; i++ {
		pg, err := get(1+r.IntN(pages), 100)
		if err != nil {
			return err
		}
		for _, it := range pg.Items {
			l.ids = append(l.ids, it.ID)
		}
	}
	if len(l.ids) == 0 {
		return errors.New("aucun identifiant de courrier lu")
	}
	return nil
}

func (l *loader) run(ctx context.Context, name string, mk func(*rand.Rand, *Generator) (*http.Request, int, error)) Result {
	deadline := time.Now().Add(l.o.Duration)
	var budget atomic.Int64
	budget.Store(int64(l.o.MaxRequests))
	var mu sync.Mutex
	var lat []time.Duration
	res := Result{Scenario: name}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < l.o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(l.o.Seed, uint64(w)+100))
			g := New(Options{Seed: l.o.Seed + uint64(w)*1000003, Today: time.Now()})
			var mine []time.Duration
			errs, firstErr := 0, ""
			for ctx.Err() == nil && time.Now().Before(deadline) && budget.Add(-1) >= 0 {
				req, want, err := mk(r, g)
				if err == nil {
					t0 := time.Now()
					err = l.do(req.WithContext(ctx), want)
					mine = append(mine, time.Since(t0))
				}
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(lat)
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		q := func(p float64) time.Duration { return lat[min(n-1, int(p*float64(n)))] }
		res.P50, res.P95, res.P99, res.Max = q(0.50), q(0.95), q(0.99), lat[n-1]
	}
	return res
}

func (l *loader) do(req *http.Request, want int) error {
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, strings.TrimSpace(string(b)))
	}
	// The whole body is part of what the user waits for.
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// Millis writes a duration in milliseconds the French way: "12,3 ms".
func Millis(d time.Duration) string {
	return strings.Replace(strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64), ".", ",", 1) + " ms"
}

// Decimal writes x with one decimal and a decimal comma.
func Decimal(x float64) string {
	return strings.Replace(strconv.FormatFloat(x, 'f', 1, 64), ".", ",", 1)
}

// PrintResults writes the results as a small French table.
func PrintResults(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scénario\trequêtes\terreurs\treq/s\tp50\tp95\tp99\tmax\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.Scenario, r.Requests, r.Errors, Decimal(r.PerSecond()),
			Millis(r.P50), Millis(r.P95), Millis(r.P99), Millis(r.Max))
	}
	tw.Flush()
	for _, r := range rs {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s: première erreur: %s\n", r.Scenario, r.FirstError)
		}
	}
}

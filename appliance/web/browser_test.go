package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"missive/appliance/devseed"
)

// chromiumPath is Debian's chromium; make deps installs it (scripts/deps).
const chromiumPath = "/usr/bin/chromium"

// chrome is one headless Chromium for a test, with a fresh profile; each
// user gets their own browser context (cookies), like separate computers.
type chrome struct {
	t     *testing.T
	root  context.Context
	shots string
	base  string
}

func newChrome(t *testing.T, base string) *chrome {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium introuvable (%v): les tests de navigateur en ont besoin; installez-le avec « apt-get install chromium »", err)
	}
	shots := os.Getenv("MISSIVE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: Chromium's helper processes (crashpad) may still write
	// into the profile for a moment after the browser exits, and t.TempDir
	// fails the test when its removal races them. Removed below, with retries.
	profile, err := os.MkdirTemp("", "missive-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 860),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	// Registered after t.TempDir: runs before the profile is removed, and
	// waits for Chromium to have exited and stopped writing into it.
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc()
		if c := chromedp.FromContext(root); c != nil && c.Allocator != nil {
			c.Allocator.Wait()
		}
		cancel()
		for i := 0; i < 20; i++ {
			if err := os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("profil Chromium %s laissé en place: suppression impossible", profile)
	})
	if err := chromedp.Run(root); err != nil {
		t.Fatalf("start Chromium %s: %v", chromiumPath, err)
	}
	return &chrome{t: t, root: root, shots: shots, base: base}
}

// tab is one user's browser context.
type tab struct {
	*chrome
	ctx context.Context
	// status is the HTTP status of the last page loaded.
	mu     sync.Mutex
	status int64
}

func (c *chrome) user() *tab {
	// A new browser context needs a window of its own in this Chromium:
	// chromedp's WithNewBrowserContext opens a tab and finds no window.
	browser := cdp.WithExecutor(c.root, chromedp.FromContext(c.root).Browser)
	bc, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(browser)
	if err != nil {
		c.t.Fatalf("new browser context: %v", err)
	}
	tid, err := target.CreateTarget("about:blank").WithBrowserContextID(bc).WithNewWindow(true).Do(browser)
	if err != nil {
		c.t.Fatalf("new window: %v", err)
	}
	ctx, cancel := chromedp.NewContext(c.root, chromedp.WithTargetID(tid))
	c.t.Cleanup(cancel)
	tb := &tab{chrome: c, ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventResponseReceived); ok && e.Type == network.ResourceTypeDocument {
			tb.mu.Lock()
			tb.status = e.Response.Status
			tb.mu.Unlock()
		}
	})
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		c.t.Fatal(err)
	}
	return tb
}

func (tb *tab) run(what string, actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var loc, body string
		chromedp.Run(tb.ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 1500) : ""`, &body))
		tb.t.Fatalf("%s: %v\nat %s\n%s", what, err, loc, body)
	}
}

func (tb *tab) lastStatus() int64 {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.status
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	var s string
	tb.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func (tb *tab) eval(js string, v any) {
	tb.t.Helper()
	tb.run("evaluate "+js, chromedp.Evaluate(js, v))
}

func (tb *tab) screenshot(name string) string {
	tb.t.Helper()
	var buf []byte
	tb.run("screenshot "+name, chromedp.CaptureScreenshot(&buf))
	p := filepath.Join(tb.shots, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	return p
}

func (tb *tab) login(login, pw string) {
	tb.t.Helper()
	tb.run("log in as "+login,
		chromedp.Navigate(tb.base+"/"),
		chromedp.WaitVisible(`#login`, chromedp.ByQuery),
		chromedp.SendKeys(`#login`, login, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, pw+kb.Enter, chromedp.ByQuery),
		chromedp.WaitVisible(`nav.baskets`, chromedp.ByQuery),
	)
}

// tabTo presses Tab until the element with this id has the focus: it proves
// the field is reachable with the keyboard, whatever the fields between.
func (tb *tab) tabTo(id string) {
	tb.t.Helper()
	for i := 0; i < 60; i++ {
		var focused string
		tb.eval(`document.activeElement ? document.activeElement.id : ""`, &focused)
		if focused == id {
			return
		}
		tb.run("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	tb.t.Fatalf("the keyboard never reaches #%s", id)
}

func (tb *tab) keys(s string) {
	tb.t.Helper()
	tb.run("type "+s, chromedp.KeyEvent(s))
}

// waitText waits until an element shows this text, across the page loads
// a form submission makes.
func (tb *tab) waitText(sel, want string) string {
	tb.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : "" })()`, sel)
	deadline := time.Now().Add(15 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		err := chromedp.Run(ctx, chromedp.Evaluate(js, &got))
		cancel()
		if err == nil && strings.Contains(got, want) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	var body string
	chromedp.Run(tb.ctx, chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 1500) : ""`, &body))
	tb.t.Fatalf("no %q in %s (last %q)\n%s", want, sel, got, body)
	return ""
}

var numberRe = regexp.MustCompile(`\d{4}/A/\d{6}`)

// TestBrowser walks the day of a town hall in headless Chromium: the mail
// room registers a scanned letter with the keyboard alone, routes it, the
// assignee finds it in their basket and closes it, search finds it by a
// word of its body with and without accents, an agent of another service
// cannot open it, and its subject with a <script> shows as text. It saves
// screenshots of the main pages, on a desktop and on a 360 px phone.
func TestBrowser(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	// A few months of realistic mail, so that the pages look like a town
	// hall's and not like an empty test.
	seeder := &devseed.Seeder{Svc: s.Svc, Gen: devseed.New(devseed.Options{Seed: 3, Today: s.Clock.Now(), Citizens: 60}), Workers: 2}
	if _, err := seeder.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := seeder.Run(context.Background(), 120); err != nil {
		t.Fatal(err)
	}
	s.letter(t, "Demande de réparation du trottoir avenue Jean Jaurès")
	pdf := filepath.Join(t.TempDir(), "courrier-elagage.pdf")
	if err := os.WriteFile(pdf, tinyPDF, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, s.URL)
	clerk := c.user()

	// An anonymous visitor lands on the login page, and back where they
	// were going once logged in.
	clerk.run("open a basket before logging in", chromedp.Navigate(s.URL+"/baskets/late"), chromedp.WaitVisible(`#login`, chromedp.ByQuery))
	var loc string
	clerk.run("location", chromedp.Location(&loc))
	if !strings.Contains(loc, "/login?next=%2Fbaskets%2Flate") {
		t.Fatalf("anonymous visitor sent to %s", loc)
	}
	clerk.screenshot("login")
	clerk.run("log in",
		chromedp.SendKeys(`#login`, "martine", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, agentPassword+kb.Enter, chromedp.ByQuery),
		chromedp.WaitVisible(`nav.baskets`, chromedp.ByQuery),
		chromedp.Location(&loc))
	if !strings.HasSuffix(loc, "/baskets/late") {
		t.Fatalf("after login: %s, want the basket asked for", loc)
	}

	// Registration, with the keyboard alone once the scan is chosen (a file
	// dialog is the system's, not the page's).
	const subject = `Élagage des tilleuls <script>document.title="pwned"</script>`
	clerk.run("open the registration form",
		chromedp.Navigate(s.URL+"/letters/new"),
		chromedp.WaitVisible(`#subject`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#file`, []string{pdf}, chromedp.ByQuery),
		chromedp.Focus(`#file`, chromedp.ByQuery))
	clerk.tabTo("subject")
	clerk.keys(subject)
	clerk.tabTo("body")
	clerk.keys("Les branches des tilleuls touchent la façade de l'école maternelle.")
	clerk.tabTo("sender_name")
	clerk.keys("Dupo")
	clerk.run("autocomplete shows the contact", chromedp.WaitVisible(`#sender-list li`, chromedp.ByQuery))
	clerk.screenshot("register-autocomplete")
	clerk.keys(kb.ArrowDown + kb.Enter)
	var senderID string
	clerk.run("contact picked", chromedp.Value(`input[name="sender_id"]`, &senderID, chromedp.ByQuery))
	if senderID == "" {
		t.Fatal("the contact picked with ArrowDown and Enter did not fill sender_id")
	}
	clerk.tabTo("doctype_id")
	clerk.keys("Demande d'él")
	due := clerk.waitText("#due-out", "Date limite de traitement")
	clerk.tabTo("entity_id")
	clerk.keys("Voirie")
	clerk.screenshot("register")
	clerk.run("find the submit button", chromedp.Evaluate(`document.querySelector("form[data-register] button[type=submit]").id = "register-submit"`, nil))
	clerk.tabTo("register-submit")
	clerk.keys(kb.Enter)
	flash := clerk.waitText(".flash", "Courrier enregistré sous le numéro")
	number := numberRe.FindString(flash)
	if number == "" {
		t.Fatalf("no registration number in %q", flash)
	}
	t.Logf("registered %s (%s)", number, due)
	var letterURL, h1, title string
	clerk.run("the letter page", chromedp.Location(&letterURL), chromedp.Text(`h1`, &h1, chromedp.ByQuery), chromedp.Title(&title))
	if h1 != subject || title == "pwned" || !strings.Contains(title, "<script>") {
		t.Fatalf("subject shown as %q, title %q: want the text of the subject, script not run", h1, title)
	}
	var scripts int
	clerk.eval(`document.querySelectorAll("main script").length`, &scripts)
	if scripts != 0 {
		t.Fatalf("%d script elements in the page's main content", scripts)
	}
	if !strings.Contains(clerk.text(".meta-list"), "Demande d'élagage") || !strings.Contains(clerk.text(".meta-list"), "Voirie") {
		t.Errorf("metadata: %s", clerk.text(".meta-list"))
	}
	clerk.run("the scan is shown", chromedp.WaitVisible(`iframe.pdf`, chromedp.ByQuery))
	letterPath := strings.TrimPrefix(letterURL, s.URL)
	letterPath = strings.TrimSuffix(letterPath, "?registered=1")

	// Redirect to Julien, of the Voirie.
	clerk.run("redirect",
		chromedp.Click(`details.action summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`[id="redirect.assignee_id"]`, chromedp.ByQuery),
		chromedp.SetValue(`[id="redirect.assignee_id"]`, s.Agent.ID, chromedp.ByQuery),
		chromedp.SendKeys(`[id="redirect.note"]`, "Pour traitement, merci.", chromedp.ByQuery),
		chromedp.Submit(`[id="redirect.note"]`, chromedp.ByQuery))
	clerk.waitText(".flash", "Courrier redirigé")
	clerk.screenshot("letter")

	// The assignee finds it in their basket and closes it.
	julien := c.user()
	julien.login("julien", agentPassword)
	julien.run("their basket", chromedp.Navigate(s.URL+"/baskets/mine"), chromedp.WaitVisible(`table.letters`, chromedp.ByQuery))
	if got := julien.text("table.letters"); !strings.Contains(got, number) {
		t.Fatalf("%s not in Julien's basket:\n%s", number, got)
	}
	julien.screenshot("basket-mine")
	julien.run("open the letter",
		chromedp.Click(`//a[text()="`+number+`"]`, chromedp.BySearch),
		chromedp.WaitVisible(`.letter-head h1`, chromedp.ByQuery))
	julien.run("close it",
		chromedp.Click(`//summary[normalize-space()="Clore"]`, chromedp.BySearch),
		chromedp.WaitVisible(`[id="close.note"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[id="close.note"]`, "Élagage programmé le 20 mars.", chromedp.ByQuery),
		chromedp.Submit(`[id="close.note"]`, chromedp.ByQuery))
	julien.waitText(".flash", "Courrier clos")
	julien.run("closed basket", chromedp.Navigate(s.URL+"/baskets/closed"), chromedp.WaitVisible(`main h1`, chromedp.ByQuery))
	if got := julien.text("main"); !strings.Contains(got, number) {
		t.Fatalf("%s not in the closed basket:\n%s", number, got)
	}
	julien.run("mine again", chromedp.Navigate(s.URL+"/baskets/mine"), chromedp.WaitVisible(`main h1`, chromedp.ByQuery))
	if got := julien.text("main"); strings.Contains(got, number) {
		t.Fatalf("%s still to process after closing", number)
	}

	// Search by a word of its body, with and without its accent.
	for _, word := range []string{"façade", "facade", "FACADE", "faç*"} {
		julien.run("search "+word,
			chromedp.Navigate(s.URL+"/search"),
			chromedp.WaitVisible(`#q`, chromedp.ByQuery),
			chromedp.SendKeys(`#q`, word+kb.Enter, chromedp.ByQuery),
			chromedp.WaitVisible(`.results`, chromedp.ByQuery))
		if got := julien.text(".results"); !strings.Contains(got, number) {
			t.Fatalf("search %q does not find %s:\n%s", word, number, got)
		}
	}
	julien.screenshot("search")

	// An agent of another service types its address: not found.
	celine := c.user()
	celine.login("celine", agentPassword)
	celine.run("type the letter's URL", chromedp.Navigate(s.URL+letterPath), chromedp.WaitVisible(`main h1`, chromedp.ByQuery))
	if st := celine.lastStatus(); st != 404 && st != 403 {
		t.Fatalf("another service's agent got status %d for %s", st, letterPath)
	}
	if got := celine.text("main"); strings.Contains(got, number) || strings.Contains(got, "tilleuls") {
		t.Fatalf("the refusal page shows the letter:\n%s", got)
	}

	// The main pages, for a reviewer's eyes.
	admin := c.user()
	admin.login("admin", "motdepasse-admin-1")
	for _, p := range []struct{ name, path string }{
		{"home", "/"}, {"basket", "/baskets/service"}, {"admin-users", "/admin/users"},
		{"admin-baskets", "/admin/baskets?role=agent"}, {"admin-entities", "/admin/entities"},
	} {
		admin.run("open "+p.path, chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(`main h1`, chromedp.ByQuery))
		shot := admin.screenshot(p.name)
		if p.name == "basket" && os.Getenv("MISSIVE_DOCS_SCREENSHOT") != "" {
			// The README's picture: refreshed on demand only, so that a
			// test run leaves the working tree as it found it.
			b, _ := os.ReadFile(shot)
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "basket.png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// On a 360 px wide phone: nothing wider than the screen.
	admin.run("phone", chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, p := range []struct{ name, path string }{{"phone-basket", "/baskets/service"}, {"phone-letter", letterPath}, {"phone-register", "/letters/new"}} {
		admin.run("open "+p.path, chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(`main h1`, chromedp.ByQuery))
		var width int
		admin.eval(`document.documentElement.scrollWidth`, &width)
		if width > 360 {
			t.Errorf("%s is %d px wide on a 360 px screen", p.path, width)
		}
		admin.screenshot(p.name)
	}
	t.Logf("screenshots in %s", c.shots)
}

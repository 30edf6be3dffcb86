package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/appliance/store/pgtest"
)

func TestLoginCookieAndLogoutEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	p := b.login("julien", agentPassword)
	if p.Location != "/" {
		t.Errorf("after login: %q, want /", p.Location)
	}
	var sc *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "missive_session" {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", sc)
	}
	must(t, b.get("/"), http.StatusOK)

	// A second browser of the same user, then a logout in the first one:
	// both sessions end.
	other := s.browser(t)
	other.login("julien", agentPassword)
	must(t, other.get("/baskets/mine"), http.StatusOK)
	old := b.cookie("missive_session")
	p = must(t, b.post("/logout", url.Values{}), http.StatusSeeOther)
	if p.Location != "/login" {
		t.Errorf("logout goes to %q", p.Location)
	}
	if p = other.get("/baskets/mine"); p.Code != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login?next=%2Fbaskets%2Fmine") {
		t.Errorf("other browser after logout: %d %q, want the login page", p.Code, p.Location)
	}
	// The old cookie, replayed, is dead.
	replay := s.browser(t)
	u, _ := url.Parse(s.URL)
	replay.c.Jar.SetCookies(u, []*http.Cookie{old})
	if p = replay.get("/"); p.Code != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: status %d", p.Code)
	}
	// A forged cookie is refused.
	forged := s.browser(t)
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "missive_session", Value: old.Value[:len(old.Value)-2] + "xx"}})
	if p = forged.get("/"); p.Code != http.StatusSeeOther {
		t.Errorf("forged cookie: status %d", p.Code)
	}
}

func TestSecureCookieBehindTLSProxy(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	// BaseURL https: the cookie is Secure though TLS ends in front.
	ts := newTLSSite(t, s)
	b := s.browser(t)
	b.base = ts
	b.get("/login")
	p := b.post("/login", url.Values{"login": {"julien"}, "password": {agentPassword}})
	found := false
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == "missive_session" {
			found = true
			if !c.Secure {
				t.Errorf("session cookie not Secure with an https BaseURL")
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie: %d %s", p.Code, p.Body)
	}
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Bruit de chantier")
	b := s.browser(t)
	b.login("admin", "motdepasse-admin-1")
	b.get("/letters/" + l.ID)
	good := b.csrf

	// No token.
	p := b.post("/letters/"+l.ID+"/close", url.Values{"csrf": {"-"}})
	must(t, p, http.StatusForbidden)
	// The right token from another site.
	req, _ := http.NewRequest("POST", s.URL+"/letters/"+l.ID+"/close", strings.NewReader(url.Values{"csrf": {good}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	must(t, b.do(req), http.StatusForbidden)
	// Another user's token.
	o := s.browser(t)
	o.login("martine", agentPassword)
	o.get("/")
	p = b.post("/letters/"+l.ID+"/close", url.Values{"csrf": {o.csrf}})
	must(t, p, http.StatusForbidden)
	if got, _ := s.Svc.Letter(context.Background(), s.Admin, l.ID); got.Status == domain.StatusClosed {
		t.Fatal("a refused form closed the letter")
	}
	// The page's own token works.
	must(t, b.post("/letters/"+l.ID+"/close", url.Values{"csrf": {good}}), http.StatusSeeOther)
	if got, _ := s.Svc.Letter(context.Background(), s.Admin, l.ID); got.Status != domain.StatusClosed {
		t.Fatal("the letter is not closed")
	}
	// The login form has its own token, bound to a cookie.
	anon := s.browser(t)
	p = anon.post("/login", url.Values{"login": {"julien"}, "password": {agentPassword}, "csrf": {"x"}})
	if p.Code != http.StatusForbidden || anon.cookie("missive_session") != nil {
		t.Errorf("login without the form's token: %d", p.Code)
	}
}

func TestExpiredSessionComesBack(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Demande de stationnement")
	b := s.browser(t)
	b.login("julien", agentPassword)
	must(t, b.get("/letters/"+l.ID), http.StatusOK)

	// Idle for more than an hour.
	s.Clock.Add(61 * time.Minute)
	p := must(t, b.get("/letters/"+l.ID+"?tab=notes"), http.StatusSeeOther)
	want := "/login?next=" + url.QueryEscape("/letters/"+l.ID+"?tab=notes") + "&expired=1"
	if p.Location != want {
		t.Fatalf("expired session sent to %q, want %q", p.Location, want)
	}
	p = must(t, b.get(p.Location), http.StatusOK)
	if !strings.Contains(p.Body, "Votre session a expiré") {
		t.Error("the login page does not say the session expired")
	}
	p = b.post("/login", url.Values{"login": {"julien"}, "password": {agentPassword}, "next": {"/letters/" + l.ID + "?tab=notes"}})
	if p.Code != http.StatusSeeOther || p.Location != "/letters/"+l.ID+"?tab=notes" {
		t.Fatalf("after login: %d %q, want back to the letter", p.Code, p.Location)
	}

	// A form sent after expiry goes to the login page, then back to the
	// page the form was on.
	s.Clock.Add(61 * time.Minute)
	req, _ := http.NewRequest("POST", s.URL+"/letters/"+l.ID+"/note", strings.NewReader("text=hello&csrf="+url.QueryEscape(b.csrf)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	req.Header.Set("Referer", s.URL+"/letters/"+l.ID)
	p = must(t, b.do(req), http.StatusSeeOther)
	if p.Location != "/login?next="+url.QueryEscape("/letters/"+l.ID)+"&expired=1" {
		t.Errorf("expired POST sent to %q", p.Location)
	}

	// Activity slides the idle expiry; twelve hours end any session.
	b.login("julien", agentPassword)
	for i := 1; i <= 15; i++ {
		s.Clock.Add(50 * time.Minute)
		if p := b.get("/"); p.Code != http.StatusOK {
			if i*50 <= 12*60 {
				t.Fatalf("active session ended after %d min", i*50)
			}
			return
		}
	}
	t.Error("a session outlived twelve hours")
}

func TestNextIsLocal(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		b := s.browser(t)
		b.get("/login?next=" + url.QueryEscape(next))
		p := b.post("/login", url.Values{"login": {"julien"}, "password": {agentPassword}, "next": {next}})
		if p.Location != "/" {
			t.Errorf("next %q: redirected to %q", next, p.Location)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	try := func(pw string) *page {
		b.get("/login")
		return b.post("/login", url.Values{"login": {"julien"}, "password": {pw}})
	}
	for i := 0; i < 5; i++ {
		if p := try("mauvais-mot-de-passe"); p.Code != http.StatusUnauthorized || !strings.Contains(p.Body, "Identifiant ou mot de passe incorrect") {
			t.Fatalf("attempt %d: %d", i+1, p.Code)
		}
	}
	// Locked out: even the right password waits.
	p := try(agentPassword)
	if p.Code != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "Trop de tentatives") {
		t.Fatalf("after 5 failures: %d %q", p.Code, p.Header.Get("Retry-After"))
	}
	// Another login from the same address is not locked yet.
	c := s.browser(t)
	c.get("/login")
	if p := c.post("/login", url.Values{"login": {"celine"}, "password": {agentPassword}}); p.Code != http.StatusSeeOther {
		t.Errorf("another login locked out too: %d", p.Code)
	}
	// The wait doubles with each failure, and ends.
	s.Clock.Add(2 * time.Second)
	if p := try(agentPassword); p.Code != http.StatusSeeOther {
		t.Errorf("after the wait: %d", p.Code)
	}
}

func TestRegisterValidationNextToFields(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("martine", agentPassword)
	b.get("/letters/new")
	key := formKey(t, b)
	p := b.postMultipart("/letters/new", url.Values{"form_key": {key}, "subject": {"   "}, "letter_date": {"2026-02-30"},
		"sender_email": {"pas-une-adresse"}, "category": {"incoming"}}, "note.txt", []byte("hello, not a scan"))
	must(t, p, http.StatusUnprocessableEntity)
	for field, msg := range map[string]string{"subject": "obligatoire", "letter_date": "date invalide", "file": "PDF ou image attendu", "sender_email": "adresse e-mail invalide"} {
		re := regexp.MustCompile(`(?s)id="` + field + `"[^>]*aria-invalid="true".*?<p class="field-error" id="` + field + `-err">.*?` + regexp.QuoteMeta(msg))
		if !re.MatchString(p.Body) {
			t.Errorf("no message %q next to field %s", msg, field)
		}
	}
	if !strings.Contains(p.Body, `class="error-summary"`) {
		t.Error("no error summary")
	}
	// What was typed is kept.
	if !strings.Contains(p.Body, `value="pas-une-adresse"`) {
		t.Error("the typed address is lost")
	}
	if _, n, _ := s.Svc.Letters(context.Background(), s.Admin, store.LetterFilter{}); n != 0 {
		t.Errorf("%d letters registered from an invalid form", n)
	}
}

func formKey(t *testing.T, b *browser) string {
	t.Helper()
	p := b.get("/letters/new")
	m := regexp.MustCompile(`name="form_key" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no form_key in the registration form")
	}
	return m[1]
}

func TestRegisterTwiceIsOneLetter(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("martine", agentPassword)
	key := formKey(t, b)
	form := url.Values{"form_key": {key}, "subject": {"Demande de subvention du club de judo"}, "category": {"incoming"},
		"body": {"Le club sollicite une aide pour ses déplacements."}, "entity_id": {s.Voirie.ID}, "doctype_id": {s.Doctype.ID},
		"sender_name": {"Club de judo"}, "sender_email": {"judo@example.org"}}
	// A double click: both submissions at once.
	var wg sync.WaitGroup
	pages := make([]*page, 2)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			pages[i] = b.postMultipart("/letters/new", f, "scan.pdf", tinyPDF)
		}()
	}
	wg.Wait()
	// And a reload of the form's result later.
	pages = append(pages, b.postMultipart("/letters/new", form, "scan.pdf", tinyPDF))
	ls, n, err := s.Svc.Letters(context.Background(), s.Admin, store.LetterFilter{})
	if err != nil || n != 1 {
		t.Fatalf("%d letters for one form submitted 3 times (%v)", n, err)
	}
	for i, p := range pages {
		if p.Code != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/letters/"+ls[0].ID) {
			t.Errorf("submission %d: %d %q, want the one letter", i+1, p.Code, p.Location)
		}
	}
	p := must(t, b.get(pages[2].Location), http.StatusOK)
	if !strings.Contains(p.Body, "déjà été enregistré : courrier "+ls[0].Number) {
		t.Error("the second submission does not say it was registered already")
	}
	if ls[0].DueDate == "" || ls[0].SenderName != "Club de judo" {
		t.Errorf("letter %+v", ls[0])
	}
	// A new form is a new letter.
	form.Set("form_key", formKey(t, b))
	must(t, b.postMultipart("/letters/new", form, "", nil), http.StatusSeeOther)
	if _, n, _ := s.Svc.Letters(context.Background(), s.Admin, store.LetterFilter{}); n != 2 {
		t.Errorf("%d letters after a second form", n)
	}
}

func TestOtherEntityCannotSee(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Nid-de-poule rue Pasteur")
	v, err := s.Svc.View(context.Background(), s.Admin, l.ID)
	if err != nil || len(v.Documents) != 1 {
		t.Fatalf("view: %v", err)
	}
	doc := v.Documents[0].ID
	b := s.browser(t)
	b.login("celine", agentPassword)
	for _, path := range []string{"/letters/" + l.ID, "/documents/" + doc, "/documents/" + doc + "?inline=1"} {
		p := b.get(path)
		if p.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, p.Code)
		}
		if strings.Contains(p.Body, "Pasteur") || strings.Contains(p.Body, "%PDF") {
			t.Errorf("%s leaks the letter", path)
		}
	}
	// Nor act on it.
	b.get("/")
	if p := b.post("/letters/"+l.ID+"/close", url.Values{}); p.Code != http.StatusNotFound {
		t.Errorf("close another service's letter: %d", p.Code)
	}
	if p := b.post("/baskets/service", url.Values{"action": {"close"}, "id": {l.ID}}); p.Code != http.StatusSeeOther {
		t.Errorf("basket action: %d", p.Code)
	} else if got, _ := s.Svc.Letter(context.Background(), s.Admin, l.ID); got.Status == domain.StatusClosed {
		t.Error("another service's agent closed the letter from a basket")
	}
	// The agent of the letter's service sees it and its scan, inline.
	a := s.browser(t)
	a.login("julien", agentPassword)
	must(t, a.get("/letters/"+l.ID), http.StatusOK)
	p := must(t, a.get("/documents/"+doc+"?inline=1"), http.StatusOK)
	if p.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(p.Header.Get("Content-Disposition"), "inline") ||
		p.Header.Get("X-Frame-Options") != "SAMEORIGIN" || !strings.HasPrefix(p.Body, "%PDF") {
		t.Errorf("inline scan: %v", p.Header)
	}
	p = must(t, a.get("/documents/"+doc), http.StatusOK)
	if !strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %v", p.Header)
	}
}

// A document that is a page (an anonymous e-mail's evil.html, an SVG) is a
// sandboxed download even where the letter page asks for it inline.
func TestActiveDocumentIsNeverInline(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l, err := s.Svc.RegisterLetter(context.Background(), s.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Pièce jointe", EntityID: s.Voirie.ID},
		appliance.Upload{Name: "evil.html", Body: strings.NewReader("<script>alert(1)</script>")},
		appliance.Upload{Name: "logo.svg", Body: strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Svc.View(context.Background(), s.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := s.browser(t)
	a.login("julien", agentPassword)
	for _, d := range v.Documents {
		for _, q := range []string{"", "?inline=1"} {
			p := must(t, a.get("/documents/"+d.ID+q), http.StatusOK)
			if !strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(p.Header.Get("Content-Security-Policy"), "sandbox") ||
				p.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s%s: %v", d.Name, q, p.Header)
			}
		}
	}
}

func TestSubjectIsText(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	l := s.letter(t, evil)
	b := s.browser(t)
	b.login("julien", agentPassword)
	for _, path := range []string{"/letters/" + l.ID, "/baskets/service", "/search?q=script"} {
		p := must(t, b.get(path), http.StatusOK)
		if strings.Contains(p.Body, evil) || strings.Contains(p.Body, "<img src=x") {
			t.Errorf("%s: the subject is markup", path)
		}
		if !strings.Contains(p.Body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
			t.Errorf("%s: the subject is not shown as text", path)
		}
		csp := p.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
}

func TestBasketsAndActions(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l1 := s.letter(t, "Arbre tombé sur la chaussée")
	l2 := s.letter(t, "Éclairage public en panne")
	clerk := s.browser(t)
	clerk.login("martine", agentPassword)
	// Routed to the Voirie entity: nothing to qualify, but in the service
	// basket of Voirie's agent.
	agent := s.browser(t)
	agent.login("julien", agentPassword)
	p := must(t, agent.get("/baskets/service"), http.StatusOK)
	if !strings.Contains(p.Body, l1.Number) || !strings.Contains(p.Body, l2.Number) {
		t.Fatal("service basket misses the letters")
	}
	if !regexp.MustCompile(`href="/baskets/service"[^>]*>.*?<span class="count">2<`).MatchString(p.Body) {
		t.Error("the menu does not count 2 letters in the service basket")
	}
	// The agent takes both from the service basket.
	p = agent.post("/baskets/service", url.Values{"action": {"take"}, "id": {l1.ID, l2.ID}, "return": {"/baskets/service?sort=subject"}})
	if p.Code != http.StatusSeeOther || p.Location != "/baskets/service?sort=subject" {
		t.Fatalf("take: %d %q", p.Code, p.Location)
	}
	p = must(t, agent.get("/baskets/mine?sort=subject"), http.StatusOK)
	if i, j := strings.Index(p.Body, l1.Number), strings.Index(p.Body, l2.Number); i < 0 || j < 0 || i > j {
		t.Errorf("mine sorted by subject: %d %d", i, j)
	}
	if !strings.Contains(p.Body, "2 courrier(s) traité(s)") {
		t.Error("no confirmation of the action")
	}
	if !strings.Contains(p.Body, `aria-sort="ascending"`) {
		t.Error("the sorted column does not say so")
	}
	// An action the basket does not offer is refused.
	if p := agent.post("/baskets/mine", url.Values{"action": {"reopen"}, "id": {l1.ID}}); p.Code != http.StatusForbidden {
		t.Errorf("reopen from 'mine': %d", p.Code)
	}
	// Redirect without a target: the message is next to the field.
	p = must(t, agent.post("/baskets/mine", url.Values{"action": {"redirect"}, "id": {l1.ID}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="entity_id-err"`) {
		t.Error("no message next to the entity field")
	}
	// No selection.
	p = must(t, agent.post("/baskets/mine", url.Values{"action": {"close"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, "sélectionnez au moins un courrier") {
		t.Error("no message for an empty selection")
	}
	// Close one; follow the other.
	must(t, agent.post("/baskets/mine", url.Values{"action": {"close"}, "id": {l1.ID}, "note": {"Arbre évacué."}}), http.StatusSeeOther)
	must(t, agent.post("/letters/"+l2.ID+"/follow", url.Values{}), http.StatusSeeOther)
	for basket, want := range map[string][]string{"closed": {l1.Number}, "followed": {l2.Number}, "mine": {l2.Number}} {
		p := must(t, agent.get("/baskets/"+basket), http.StatusOK)
		for _, n := range want {
			if !strings.Contains(p.Body, n) {
				t.Errorf("basket %s misses %s", basket, n)
			}
		}
	}
	if p := must(t, agent.get("/baskets/mine"), http.StatusOK); strings.Contains(p.Body, l1.Number) {
		t.Error("a closed letter is still to process")
	}
	// A basket the role has not.
	if p := agent.get("/baskets/qualify"); p.Code != http.StatusNotFound {
		t.Errorf("an agent's qualify basket: %d", p.Code)
	}
	// Late letters are coloured and say by how much.
	s.Clock.Add(30 * 24 * time.Hour)
	agent.login("julien", agentPassword)
	p = must(t, agent.get("/baskets/late"), http.StatusOK)
	if !strings.Contains(p.Body, `<tr class="late">`) || !regexp.MustCompile(`en retard de \d+ j`).MatchString(p.Body) {
		t.Error("late letters are not marked")
	}
}

func TestLetterPageForms(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Demande d'élagage avenue Foch")
	other := s.letter(t, "Relance élagage avenue Foch")
	b := s.browser(t)
	b.login("julien", agentPassword)
	b.get("/letters/" + l.ID)
	// A restricted note, a link by number, an attachment and its new version.
	must(t, b.post("/letters/"+l.ID+"/note", url.Values{"text": {"Voir avec l'ONF."}, "entities": {s.Voirie.ID}}), http.StatusSeeOther)
	must(t, b.post("/letters/"+l.ID+"/link", url.Values{"number": {other.Number}}), http.StatusSeeOther)
	must(t, b.postMultipart("/letters/"+l.ID+"/attach", url.Values{"role": {"attachment"}}, "photo.png", pngHeader), http.StatusSeeOther)
	p := must(t, b.get("/letters/"+l.ID), http.StatusOK)
	for _, want := range []string{"Voir avec l&#39;ONF.", "Restreinte à", other.Number, "photo.png", "version 1", "Document déposé."} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("letter page misses %q", want)
		}
	}
	// The restricted note is not shown to another service's agent who is
	// copied on the letter.
	ctx := context.Background()
	if _, err := s.Svc.Qualify(ctx, s.Admin, l.ID, appliance.FullQualify(qualifyCopy(l, s.Other.ID))); err != nil {
		t.Fatal(err)
	}
	c := s.browser(t)
	c.login("celine", agentPassword)
	p = must(t, c.get("/letters/"+l.ID), http.StatusOK)
	if strings.Contains(p.Body, "ONF") {
		t.Error("a restricted note is shown outside its entities")
	}
	// Validation of a letter page form: next to its field, in its form.
	p = must(t, b.post("/letters/"+l.ID+"/link", url.Values{"number": {"2026/A/999999"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="link.number-err"`) || !strings.Contains(p.Body, "aucun courrier de ce numéro") {
		t.Error("no message next to the link field")
	}
	p = must(t, b.post("/letters/"+l.ID+"/qualify", url.Values{"subject": {""}, "letter_date": {"hier"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="qualify.subject-err"`) || !strings.Contains(p.Body, `id="qualify.letter_date-err"`) || !strings.Contains(p.Body, "<details class=\"action\" open>") {
		t.Error("the edit form's errors are not next to its fields, or the form is closed")
	}
	// Closing twice: the second says it is closed already.
	must(t, b.post("/letters/"+l.ID+"/close", url.Values{}), http.StatusSeeOther)
	p = must(t, b.post("/letters/"+l.ID+"/close", url.Values{}), http.StatusSeeOther)
	p = must(t, b.get(p.Location), http.StatusOK)
	if !strings.Contains(p.Body, "est déjà clos") {
		t.Error("closing a closed letter says nothing")
	}
}

var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func TestSearchAndSavedSearches(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Réclamation : éclairage défectueux")
	s.letter(t, "Demande de banc public")
	b := s.browser(t)
	b.login("julien", agentPassword)
	for _, q := range []string{"eclairage", "ÉCLAIRAGE", "éclair*", `"éclairage défectueux"`, l.Number} {
		p := must(t, b.get("/search?q="+url.QueryEscape(q)), http.StatusOK)
		if !strings.Contains(p.Body, l.Number) || strings.Contains(p.Body, "banc public") {
			t.Errorf("search %q", q)
		}
	}
	p := must(t, b.get("/search?from=10-03-2026"), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="from-err"`) {
		t.Error("no message next to a wrong date")
	}
	p = must(t, b.post("/search/saved", url.Values{"name": {"Éclairage"}, "query": {"q=eclairage"}}), http.StatusSeeOther)
	p = must(t, b.get(p.Location), http.StatusOK)
	if !strings.Contains(p.Body, `href="/search?q=eclairage">Éclairage</a>`) {
		t.Fatalf("saved search not listed:\n%s", p.Body)
	}
	id := regexp.MustCompile(`/search/saved/([^/]+)/delete`).FindStringSubmatch(p.Body)
	must(t, b.post("/search/saved/"+id[1]+"/delete", url.Values{}), http.StatusSeeOther)
	if p := must(t, b.get("/search"), http.StatusOK); strings.Contains(p.Body, `>Éclairage</a>`) {
		t.Error("deleted search still listed")
	}
	// Another user's search is theirs alone.
	if p := b.post("/search/saved", url.Values{"name": {""}, "query": {"q=x"}}); p.Code != http.StatusSeeOther {
		t.Errorf("empty name: %d", p.Code)
	}
}

func TestAdminPages(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	agent := s.browser(t)
	agent.login("julien", agentPassword)
	for _, path := range []string{"/admin/users", "/admin/entities", "/admin/doctypes", "/admin/baskets"} {
		if p := agent.get(path); p.Code != http.StatusForbidden {
			t.Errorf("agent on %s: %d", path, p.Code)
		}
	}
	a := s.browser(t)
	a.login("admin", "motdepasse-admin-1")
	a.get("/admin/users")
	// Validation next to the fields.
	p := must(t, a.post("/admin/users", url.Values{"login": {"Pas Valide"}, "name": {""}, "role": {"agent"}, "password": {"court"}}), http.StatusUnprocessableEntity)
	for _, f := range []string{"login", "name", "password"} {
		if !strings.Contains(p.Body, `id="`+f+`-err"`) {
			t.Errorf("no message next to %s", f)
		}
	}
	must(t, a.post("/admin/users", url.Values{"login": {"sophie"}, "name": {"Sophie Renaud"}, "role": {"agent"}, "password": {"un-mot-de-passe"},
		"member": {s.Voirie.ID}, "manager": {s.Urba.ID}}), http.StatusSeeOther)
	u, err := s.Svc.UserByLogin(context.Background(), s.Admin, "sophie")
	if err != nil || len(u.Entities) != 2 {
		t.Fatalf("created user %+v, %v", u, err)
	}
	must(t, a.post("/admin/entities", url.Values{"code": {"CCAS"}, "name": {"Action sociale"}, "parent_id": {s.Urba.ID}}), http.StatusSeeOther)
	p = must(t, a.post("/admin/entities", url.Values{"code": {"CCAS"}, "name": {"Doublon"}}), http.StatusConflict)
	if !strings.Contains(p.Body, `id="code-err"`) {
		t.Error("duplicate code: no message next to the field")
	}
	must(t, a.post("/admin/doctypes", url.Values{"code": {"PERMIS"}, "label": {"Permis de construire"}, "delay_days": {"40"}, "mode": {"sva"}}), http.StatusSeeOther)
	p = must(t, a.post("/admin/doctypes", url.Values{"code": {"X"}, "label": {"X"}, "delay_days": {"quinze"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="delay_days-err"`) {
		t.Error("no message next to the delay")
	}
	p = must(t, a.get("/admin/doctypes"), http.StatusOK)
	if !strings.Contains(p.Body, "Silence vaut acceptation") {
		t.Error("SVA doctype not listed")
	}
	// Sophie's password, set by the admin, ends her sessions.
	sb := s.browser(t)
	sb.login("sophie", "un-mot-de-passe")
	a.get("/admin/users/" + u.ID)
	must(t, a.post("/admin/users/"+u.ID+"/password", url.Values{"password": {"un-autre-mot-de-passe"}}), http.StatusSeeOther)
	if p := sb.get("/"); p.Code != http.StatusSeeOther {
		t.Errorf("sessions survive a password reset: %d", p.Code)
	}
}

func TestAdminBasketsPerRole(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	s.letter(t, "Demande de raccordement")
	a := s.browser(t)
	a.login("admin", "motdepasse-admin-1")
	p := must(t, a.get("/admin/baskets?role=agent"), http.StatusOK)
	n := regexp.MustCompile(`name="n" value="(\d+)"`).FindStringSubmatch(p.Body)[1]
	// Keep two baskets for agents, in reverse order, and add an urgent
	// one: letters of their service, open, offering close only.
	f := url.Values{"role": {"agent"}, "n": {n},
		"b0.keep": {"1"}, "b0.id": {"mine"}, "b0.scope": {"mine"}, "b0.status": {"new", "in_progress"}, "b0.actions": {"close"}, "b0.position": {"2"},
		"b1.keep": {"1"}, "b1.id": {"service"}, "b1.scope": {"service"}, "b1.status": {"in_progress"}, "b1.position": {"1"}, "b1.label": {"Mon service"},
		"b7.keep": {"1"}, "b7.id": {"urgent"}, "b7.label": {"Urgent"}, "b7.scope": {"service"}, "b7.overdue": {"1"}, "b7.actions": {"close"}, "b7.position": {"3"},
	}
	must(t, a.post("/admin/baskets", f), http.StatusSeeOther)
	ag := s.browser(t)
	ag.login("julien", agentPassword)
	p = must(t, ag.get("/"), http.StatusOK)
	nav := p.Body[strings.Index(p.Body, `<nav class="baskets"`):]
	nav = nav[:strings.Index(nav, "</nav>")]
	i, j, k := strings.Index(nav, "Mon service"), strings.Index(nav, "Mes courriers à traiter"), strings.Index(nav, "Urgent")
	if i < 0 || j < 0 || k < 0 || !(i < j && j < k) || strings.Contains(nav, "En copie") {
		t.Fatalf("agent's menu after configuration:\n%s", nav)
	}
	// The mail room is untouched.
	mr := s.browser(t)
	mr.login("martine", agentPassword)
	if p := must(t, mr.get("/"), http.StatusOK); !strings.Contains(p.Body, "À qualifier") {
		t.Error("the mail room lost its baskets")
	}
	// A new basket needs a label; a wrong id is refused next to its row.
	f.Set("b7.label", "")
	f.Set("b1.id", "Pas un id")
	p = must(t, a.post("/admin/baskets", f), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="b7.label-err"`) {
		t.Errorf("no message next to the new basket's label")
	}
	// Back to the defaults.
	must(t, a.post("/admin/baskets", url.Values{"role": {"agent"}, "reset": {"1"}}), http.StatusSeeOther)
	if p := must(t, ag.get("/"), http.StatusOK); !strings.Contains(p.Body, "En copie") {
		t.Error("defaults not restored")
	}
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("julien", agentPassword)
	other := s.browser(t)
	other.login("julien", agentPassword)
	julien, err := s.Svc.ActorFor(context.Background(), "default", s.Agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Svc.CreateToken(context.Background(), julien, julien.ID(), "script")
	if err != nil {
		t.Fatal(err)
	}
	b.get("/password")
	p := must(t, b.post("/password", url.Values{"current": {"faux"}, "password": {"court"}, "confirm": {"autre"}}), http.StatusUnprocessableEntity)
	for _, f := range []string{"current", "password", "confirm"} {
		if !strings.Contains(p.Body, `id="`+f+`-err"`) {
			t.Errorf("no message next to %s", f)
		}
	}
	must(t, b.post("/password", url.Values{"current": {agentPassword}, "password": {"nouveau-mot-de-passe"}, "confirm": {"nouveau-mot-de-passe"}}), http.StatusSeeOther)
	// This browser carries on; the other one is logged out.
	must(t, b.get("/"), http.StatusOK)
	if p := other.get("/"); p.Code != http.StatusSeeOther {
		t.Errorf("other session survives a password change: %d", p.Code)
	}
	if _, err := s.Svc.AuthenticateToken(context.Background(), tok); err == nil {
		t.Error("an API token survives a password change")
	}
	if _, err := s.Svc.Authenticate(context.Background(), "default", "julien", "nouveau-mot-de-passe", "test"); err != nil {
		t.Error("new password refused")
	}
}

func TestContactsAndDueDate(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	s.letter(t, "Courrier de Jeanne")
	b := s.browser(t)
	b.login("martine", agentPassword)
	req, _ := http.NewRequest("GET", s.URL+"/contacts?q=dupo", nil)
	req.Header.Set("Accept", "application/json")
	p := must(t, b.do(req), http.StatusOK)
	if !strings.Contains(p.Body, `"name":"Jeanne Dupont"`) {
		t.Errorf("autocomplete: %s", p.Body)
	}
	p = must(t, b.get("/due-date?doctype="+s.Doctype.ID+"&arrival=2026-03-10"), http.StatusOK)
	// Ten working days after Tuesday 10 March 2026.
	if !strings.Contains(p.Body, `"due":"2026-03-24"`) || !strings.Contains(p.Body, `"text":"24/03/2026"`) {
		t.Errorf("due date: %s", p.Body)
	}
	// Inline creation from the form's fields, as the script sends them.
	b.get("/letters/new")
	req, _ = http.NewRequest("POST", s.URL+"/contacts", strings.NewReader("sender_name=Paul+Martin&sender_email=paul%40example.org"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	req.Header.Set("Origin", s.URL)
	p = must(t, b.do(req), http.StatusCreated)
	if !strings.Contains(p.Body, `"name":"Paul Martin"`) {
		t.Errorf("created contact: %s", p.Body)
	}
	req, _ = http.NewRequest("POST", s.URL+"/contacts", strings.NewReader("sender_email=pas-une-adresse"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	p = must(t, b.do(req), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `"sender_email"`) {
		t.Errorf("invalid contact: %s", p.Body)
	}
	// The script's calls without a session get 401, not a login page.
	anon := s.browser(t)
	req, _ = http.NewRequest("GET", s.URL+"/contacts?q=dupo", nil)
	req.Header.Set("Accept", "application/json")
	must(t, anon.do(req), http.StatusUnauthorized)
}

func TestEnglish(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("julien", agentPassword)
	p := must(t, b.get("/lang/en?next=%2Fbaskets%2Fmine"), http.StatusSeeOther)
	if p.Location != "/baskets/mine" {
		t.Errorf("language switch goes to %q", p.Location)
	}
	p = must(t, b.get("/baskets/mine"), http.StatusOK)
	if !strings.Contains(p.Body, `lang="en"`) || !strings.Contains(p.Body, "My letters to process") {
		t.Error("English page not in English")
	}
}

// The store reads of the pages (basket scopes, counts, arrivals per week)
// on PostgreSQL.
func TestPagesOnPostgreSQL(t *testing.T) {
	t.Parallel()
	s := newSite(t, pgtest.DSN(t))
	l := s.letter(t, "Réparation de la fontaine")
	b := s.browser(t)
	b.login("julien", agentPassword)
	must(t, b.post("/baskets/service", url.Values{"action": {"take"}, "id": {l.ID}}), http.StatusSeeOther)
	must(t, b.post("/letters/"+l.ID+"/follow", url.Values{}), http.StatusSeeOther)
	// Copied to Julien's entity too: the copy basket's list.
	if _, err := s.Svc.Qualify(context.Background(), s.Admin, l.ID, appliance.FullQualify(qualifyEntityCopy(l, s.Voirie.ID, s.Agent.ID))); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/baskets/mine", "/baskets/followed", "/baskets/service", "/baskets/copy", "/baskets/mine?sort=number&desc=true",
		"/baskets/service?sort=sender", "/search?q=fontaine", "/letters/" + l.ID} {
		p := must(t, b.get(path), http.StatusOK)
		if !strings.Contains(p.Body, l.Number) && path != "/" {
			t.Errorf("%s misses %s", path, l.Number)
		}
	}
	s.Clock.Add(40 * 24 * time.Hour)
	b.login("julien", agentPassword)
	for _, path := range []string{"/baskets/late", "/"} {
		if p := must(t, b.get(path), http.StatusOK); !strings.Contains(p.Body, l.Number) {
			t.Errorf("%s misses the late %s", path, l.Number)
		}
	}
	must(t, b.post("/letters/"+l.ID+"/close", url.Values{}), http.StatusSeeOther)
	if p := must(t, b.get("/baskets/closed"), http.StatusOK); !strings.Contains(p.Body, l.Number) {
		t.Errorf("closed basket misses %s", l.Number)
	}
}

func TestChartCountsArrivals(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"", pgtest.DSN(t)} {
		s := newSite(t, dsn)
		s.letter(t, "Réparation de la fontaine")
		b := s.browser(t)
		b.login("julien", agentPassword)
		if p := must(t, b.get("/"), http.StatusOK); !strings.Contains(p.Body, "1 courriers reçus sur 12 semaines") || !strings.Contains(p.Body, "S11: 1") {
			t.Errorf("%s: the chart does not count the letter of week 11", s.Store.Dialect())
		}
		// Another service's agent sees none of it.
		o := s.browser(t)
		o.login("celine", agentPassword)
		if p := must(t, o.get("/"), http.StatusOK); !strings.Contains(p.Body, "0 courriers reçus sur 12 semaines") {
			t.Errorf("%s: another service's chart counts the letter", s.Store.Dialect())
		}
	}
}

// A form the browser could not have sent (a multipart body cut short, a
// boundary that never comes) is the client's error, 400, not a 500; and
// an arrival date of year 9999 gives no due date.
func TestMalformedFormsAndDates(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("martine", agentPassword)
	b.get("/letters/new")
	for _, body := range []string{"--xx\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nx", "pas du tout un formulaire", ""} {
		req, _ := http.NewRequest("POST", s.URL+"/letters/new", strings.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=xx")
		req.Header.Set("Origin", s.URL)
		req.Header.Set("X-CSRF-Token", b.csrf)
		if p := b.do(req); p.Code != http.StatusBadRequest {
			t.Errorf("malformed multipart %q: %d", body, p.Code)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/contacts", strings.NewReader("name=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	req.Header.Set("X-CSRF-Token", b.csrf)
	if p := b.do(req); p.Code != http.StatusBadRequest {
		t.Errorf("malformed urlencoded form: %d", p.Code)
	}
	p := must(t, b.get("/due-date?doctype="+s.Doctype.ID+"&arrival=9999-12-31"), http.StatusOK)
	if !strings.Contains(p.Body, `"due":""`) {
		t.Errorf("due date of an arrival in 9999: %s", p.Body)
	}
	if p := b.get("/search?q=courrier&page=9223372036854775807"); p.Code != http.StatusOK {
		t.Errorf("a huge page of a search: %d", p.Code)
	}
}

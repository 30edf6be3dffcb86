package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserTokens: an agent makes an API token from their profile in
// Chromium, sees it once, uses it, and revokes it from the same page; a
// page reload never shows it again.
func TestBrowserTokens(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	c := newChrome(t, s.URL)
	agent := c.user()
	agent.login("julien", agentPassword)
	agent.run("open the tokens page from the menu",
		chromedp.Click(`a[href="/tokens"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#name`, chromedp.ByQuery))
	agent.tabTo("name")
	agent.keys("Script d'import")
	agent.run("submit", chromedp.SendKeys(`#name`, kb.Enter, chromedp.ByQuery))
	agent.waitText(".flash", "Copiez-le maintenant")
	token := strings.TrimSpace(agent.text("#new-token"))
	if !strings.HasPrefix(token, "mst_") {
		t.Fatalf("token shown %q", token)
	}
	agent.screenshot("tokens")
	if row := agent.text("#tokens tbody"); !strings.Contains(row, "Script d'import") || !strings.Contains(row, "actif") {
		t.Fatalf("token list: %q", row)
	}
	api := func() int {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := api(); code != http.StatusOK {
		t.Fatalf("the new token: %d", code)
	}
	// Reloaded, the page lists the token but never shows it again.
	var html string
	agent.run("reload", chromedp.Navigate(s.URL+"/tokens"), chromedp.WaitVisible(`#tokens`, chromedp.ByQuery), chromedp.OuterHTML(`html`, &html, chromedp.ByQuery))
	if strings.Contains(html, token) {
		t.Fatal("the token is shown again after a reload")
	}
	agent.run("revoke", chromedp.Click(`#tokens button[type=submit]`, chromedp.ByQuery))
	agent.waitText(".flash", "révoqué")
	if row := agent.text("#tokens tbody"); !strings.Contains(row, "révoqué") {
		t.Fatalf("token list after revoking: %q", row)
	}
	if code := api(); code != http.StatusUnauthorized {
		t.Fatalf("the revoked token: %d", code)
	}
}

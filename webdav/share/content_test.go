package share_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// evilHTML is what an anonymous e-mail can attach: a page that reads the
// CSRF token of whoever opens it.
const evilHTML = `<html><script>fetch("/admin/users").then(r=>r.text()).then(t=>document.title=t)</script></html>`

const evilSVG = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`

// checkDownload fails unless resp carries the headers of user content:
// the stored type, never sniffed, a sandbox, and a download unless the
// type is a PDF or a raster image.
func checkDownload(t *testing.T, resp *http.Response, wantType string, inline bool) {
	t.Helper()
	h := resp.Header
	if got := h.Get("Content-Type"); !strings.HasPrefix(got, wantType) {
		t.Errorf("%s %s: Content-Type %q, want %q", resp.Request.Method, resp.Request.URL.Path, got, wantType)
	}
	disp := h.Get("Content-Disposition")
	if inline != strings.HasPrefix(disp, "inline") || (!inline && !strings.HasPrefix(disp, "attachment")) {
		t.Errorf("%s %s: Content-Disposition %q, inline=%v wanted", resp.Request.Method, resp.Request.URL.Path, disp, inline)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s %s: no nosniff", resp.Request.Method, resp.Request.URL.Path)
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("%s %s: Content-Security-Policy %q without sandbox", resp.Request.Method, resp.Request.URL.Path, h.Get("Content-Security-Policy"))
	}
}

// An HTML or SVG file, whether an agent put it in a folder or an anonymous
// e-mail attached it to a letter, is never served inline from the UI's
// origin; a PDF is, sandboxed.
func TestGetServesUserContentAsDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// What the mail intake makes of an anonymous e-mail's attachments.
	l, err := f.env.Svc.RegisterLetter(ctx, f.env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Pièces jointes", EntityID: f.letterA.EntityID},
		appliance.Upload{Name: "evil.html", Body: strings.NewReader(evilHTML)},
		appliance.Upload{Name: "logo.svg", Body: strings.NewReader(evilSVG)},
		appliance.Upload{Name: "page", Body: strings.NewReader(evilHTML)},
		appliance.Upload{Name: "scan.pdf", Body: strings.NewReader("%PDF-1.4\n%%EOF\n")})
	if err != nil {
		t.Fatal(err)
	}
	folder := "/dav/default/" + appliance.DavLetterFolder(l.Number) + "/"
	status(t, f.do(t, "alice", "PUT", "/dav/default/~alice/mine.html", evilHTML), http.StatusCreated)
	for _, c := range []struct {
		path, ctype string
		inline      bool
	}{
		{folder + "evil.html", "text/html", false},
		{folder + "logo.svg", "image/svg+xml", false},
		{folder + "page", "text/html", false},
		{folder + "scan.pdf", "application/pdf", true},
		{"/dav/default/~alice/mine.html", "text/html", false},
	} {
		for _, m := range []string{"GET", "HEAD", "POST"} {
			resp := f.do(t, "alice", m, c.path, "")
			status(t, resp, http.StatusOK)
			checkDownload(t, resp, c.ctype, c.inline)
		}
	}
}

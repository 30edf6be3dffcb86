package download

import (
	"net/http"
	"strings"
	"testing"
)

func TestHeaders(t *testing.T) {
	for _, c := range []struct {
		mime      string
		mode      Mode
		inline    bool
		sandboxed bool
		frameable bool
	}{
		{"text/html; charset=utf-8", Inline, false, true, false},
		{"image/svg+xml", Inline, false, true, false},
		{"image/svg+xml", Viewer, false, true, false},
		{"application/xhtml+xml", Viewer, false, true, false},
		{"application/pdf", Attachment, false, true, false},
		{"application/pdf", Inline, true, true, false},
		{"application/pdf", Viewer, true, false, true},
		{"image/png", Viewer, true, true, true},
		{"image/jpeg", Inline, true, true, false},
		{"", Inline, false, true, false},
	} {
		h := http.Header{}
		Headers(h, "f", c.mime, c.mode)
		disp := h.Get("Content-Disposition")
		if strings.HasPrefix(disp, "inline") != c.inline || (!c.inline && !strings.HasPrefix(disp, "attachment")) {
			t.Errorf("%q mode %d: disposition %q", c.mime, c.mode, disp)
		}
		csp := h.Get("Content-Security-Policy")
		if strings.Contains(csp, "sandbox") != c.sandboxed {
			t.Errorf("%q mode %d: CSP %q", c.mime, c.mode, csp)
		}
		if (h.Get("X-Frame-Options") == "SAMEORIGIN") != c.frameable {
			t.Errorf("%q mode %d: X-Frame-Options %q", c.mime, c.mode, h.Get("X-Frame-Options"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Type") == "" {
			t.Errorf("%q mode %d: %v", c.mime, c.mode, h)
		}
	}
}

// Package download owns the headers of every response that carries user
// content (documents, attachments of anonymous e-mail, templates, files of
// the WebDAV share) from the UI's origin. Such content is whatever a citizen
// or an agent uploaded: an evil.html or an .svg served inline there would
// run as whoever opens it, the administrator included, and read their CSRF
// token. Every handler that sends user content calls Headers or Serve, so
// that the rule lives in one place.
package download

import (
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Mode says how the content will be looked at.
type Mode int

const (
	// Attachment always downloads (the API, the OnlyOffice fetch).
	Attachment Mode = iota
	// Inline shows PDF and raster images in the browser, downloads
	// anything else (the WebDAV share, whose files a browser may open).
	Inline
	// Viewer is the letter page's document frame: like Inline, but a PDF
	// is not sandboxed, because Chromium refuses to run its PDF viewer in
	// a sandboxed document; a PDF runs no script in our origin.
	Viewer
)

// Sandbox is the policy of user content: no script, no form, no plugin, a
// unique origin; styles and images of its own for a PDF or image viewer.
const Sandbox = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"

// Displayable says whether a type may be shown inline: PDF and raster
// images. SVG is an image that runs script, HTML and XML are pages.
func Displayable(mimeType string) bool {
	mt, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		return false
	}
	switch strings.ToLower(mt) {
	case "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// Headers sets the type (never sniffed), the disposition and the sandbox
// of user content called name, of type mimeType.
func Headers(h http.Header, name, mimeType string, mode Mode) {
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	inline := mode != Attachment && Displayable(mimeType)
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	h.Set("Content-Type", mimeType)
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	if mode == Viewer && inline {
		pdf := strings.HasPrefix(strings.ToLower(mimeType), "application/pdf")
		if pdf {
			// Framed by our letter page only. Nothing more: Chromium's PDF
			// viewer is a plugin that object-src or sandbox would block.
			h.Set("Content-Security-Policy", "frame-ancestors 'self'")
		} else {
			h.Set("Content-Security-Policy", Sandbox+"; frame-ancestors 'self'")
		}
		h.Set("X-Frame-Options", "SAMEORIGIN")
		return
	}
	h.Set("Content-Security-Policy", Sandbox)
}

// Serve sends user content with Headers, answering ranges and conditional
// requests; etag is the content's hash.
func Serve(w http.ResponseWriter, r *http.Request, name, mimeType, etag string, mod time.Time, mode Mode, content io.ReadSeeker) {
	Headers(w.Header(), name, mimeType, mode)
	if etag != "" {
		w.Header().Set("ETag", `"`+etag+`"`)
	}
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "private, max-age=0")
	}
	http.ServeContent(w, r, "", mod, content)
}

// Package httplimit bounds what one HTTP request may hold of the server
// while its body arrives. http.Server has a timeout for the headers, and a
// ReadTimeout that would cut a large upload on a slow line; neither stops
// a client that sends a byte every ten seconds and holds a connection, a
// goroutine and a blob being written for as long as it likes.
package httplimit

import (
	"io"
	"net/http"
	"time"
)

// Pace lets a request body take grace, plus one second per minRate bytes
// received: a steady upload, however large, is never cut, while a client
// that falls behind that pace gets a read error (its handler answers,
// usually 400) and its connection back. minRate is in bytes per second.
func Pace(h http.Handler, grace time.Duration, minRate int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// A shallow copy: net/http looks at the original request's body
			// after the handler (an unread "Expect: 100-continue" body must
			// not be waited for), so that one keeps its own type.
			r = r.WithContext(r.Context())
			r.Body = &pacedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(), grace: grace, rate: minRate}
		}
		h.ServeHTTP(w, r)
	})
}

type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	n     int64
}

func (b *pacedBody) Read(p []byte) (int, error) {
	// The deadline is the connection's (net/http resets it for the next
	// request); a server that cannot set one reads unpaced.
	credit := time.Duration(float64(b.n) / float64(b.rate) * float64(time.Second))
	b.rc.SetReadDeadline(b.start.Add(b.grace + credit))
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

package httplimit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type result struct {
	n   int
	err error
}

func server(t *testing.T) (*httptest.Server, chan result) {
	t.Helper()
	got := make(chan result, 10)
	srv := httptest.NewServer(Pace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- result{len(b), err}
		if err != nil {
			http.Error(w, "corps trop lent", http.StatusRequestTimeout)
			return
		}
		fmt.Fprint(w, len(b))
	}), 300*time.Millisecond, 1000))
	t.Cleanup(srv.Close)
	return srv, got
}

// A body trickled a byte at a time falls behind the pace and is cut: the
// handler gets a timeout and the client its answer, long before the
// hundred bytes it announced.
func TestTrickledBodyIsCut(t *testing.T) {
	t.Parallel()
	srv, got := server(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
	stop := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	r := <-got
	close(stop)
	var ne net.Error
	if r.err == nil || !errors.As(r.err, &ne) || !ne.Timeout() || r.n >= 100 {
		t.Fatalf("trickled body: read %d bytes, err %v; want a timeout before the end", r.n, r.err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("answer to the trickled body: %v %v", resp, err)
	}
}

// A body sent at a steady pace, however long, is read whole.
func TestSteadyBodyIsRead(t *testing.T) {
	t.Parallel()
	srv, got := server(t)
	resp, err := http.Post(srv.URL, "application/octet-stream", strings.NewReader(strings.Repeat("x", 50000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := <-got; r.err != nil || r.n != 50000 {
		t.Fatalf("steady body: %d bytes, %v", r.n, r.err)
	}
}

// A request announcing "Expect: 100-continue" that the handler answers
// without reading its body (a 401) gets its answer at once: net/http must
// still see the body it would otherwise wait for.
func TestUnreadExpectContinueIsAnswered(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(Pace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "identifiants requis", http.StatusUnauthorized)
	}), time.Minute, 1000))
	t.Cleanup(srv.Close)
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unread 100-continue body: %v %v", resp, err)
	}
}

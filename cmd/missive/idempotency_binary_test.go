//go:build !bench

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// callKeyed makes an API request with an Idempotency-Key ("" for none) and
// returns the status, the body and whether it was a replay.
func (s *missiveServer) callKeyed(method, path, token, key string, body any) (int, []byte, bool, error) {
	code, b, hdr, err := s.callHeader(method, path, token, key, body)
	return code, b, hdr.Get("Idempotent-Replayed") == "true", err
}

// callHeader makes an API request with an Idempotency-Key ("" for none)
// and returns the status, the body and the response's headers.
func (s *missiveServer) callHeader(method, path, token, key string, body any) (int, []byte, http.Header, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := s.http().Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header, err
}

// TestRetryAfterKillWithIdempotencyKey: registrations in flight when the
// server is killed (-9), retried after the restart with their keys, make
// one letter each: those whose answer the crash swallowed are found, and
// those answered before it answer the same again. Without a key, a retry
// of a registration that was done is a second letter.
func TestRetryAfterKillWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")
	subject := func(i int) map[string]any {
		return map[string]any{"category": "incoming", "subject": fmt.Sprintf("Demande %d", i)}
	}

	// Without a key: answered, then sent again after a crash.
	var plain apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Sans clé"}, &plain)

	const n = 24
	var (
		mu       sync.Mutex
		answered = map[int][]byte{} // request → body of its 201 before the crash
		wg       sync.WaitGroup
		progress = make(chan struct{}, n)
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				code, b, _, err := s.callKeyed("POST", "/api/v1/letters", tok, fmt.Sprintf("demande-%d", i), subject(i))
				if err != nil {
					return // the server is gone: this answer is lost
				}
				if code == 201 {
					mu.Lock()
					answered[i] = b
					mu.Unlock()
					progress <- struct{}{}
				}
			}
		}()
	}
	for range 6 {
		select {
		case <-progress:
		case <-time.After(60 * time.Second):
			s.kill()
			t.Fatal("no letter registered within 60 s")
		}
	}
	s.kill()
	wg.Wait()
	if len(answered) == n {
		t.Fatalf("all %d requests answered before the kill: nothing was in flight", n)
	}

	s = startMissive(t, data)
	ids := map[string]int{}
	for i := 0; i < n; i++ {
		code, b, replayed, err := s.callKeyed("POST", "/api/v1/letters", tok, fmt.Sprintf("demande-%d", i), subject(i))
		if err != nil || code != 201 {
			t.Fatalf("retry %d after the restart: %d %s %v", i, code, b, err)
		}
		var l apiLetter
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		ids[l.ID]++
		if first, ok := answered[i]; ok && (!replayed || !bytes.Equal(first, b)) {
			t.Errorf("request %d answered before the crash, after it: replayed=%v\n%s\nfirst:\n%s", i, replayed, b, first)
		}
	}
	if len(ids) != n {
		t.Fatalf("%d keys gave %d distinct letters", n, len(ids))
	}

	// The plain request sent again: nothing tells it was done.
	var again apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Sans clé"}, &again)
	if again.ID == plain.ID {
		t.Fatal("a retry without a key found the first letter")
	}
	letters := s.allLetters(tok)
	if len(letters) != n+2 {
		t.Fatalf("%d letters, want %d (one per key, two without)", len(letters), n+2)
	}
	s.stop()
	verifyHistory(t, data)
}

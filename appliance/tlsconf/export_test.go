package tlsconf

import "time"

// ReplicatedTTL is Replicated with locks of life ttl, for tests that watch
// a lock outlive it.
func ReplicatedTTL(svc ReplicatedStore, owner string, ttl time.Duration) Storage {
	r := Replicated(svc, owner, nil).(*replicated)
	r.ttl = ttl
	return r
}

package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// Idempotency keys. A client that did not get an answer (a timeout, a crash
// that swallowed it) cannot know whether its request was done; sent again
// with the same key, the request returns the first result instead of doing
// the work a second time. The key rides in the envelope of the command that
// makes the change, and Apply records it in the same transaction as the
// change: a key is recorded exactly when the change is, on every node, and
// two requests with one key racing each other are decided in log order.
// The API's Idempotency-Key header and the registration form's hidden key
// are this one mechanism.

// IdemWindow is how long a key is remembered.
const IdemWindow = 24 * time.Hour

// Idem is the key a command was proposed with.
type Idem struct {
	Key string `json:"key"`
	// Fingerprint sums the request the key came with, so that the key
	// reused for another request is refused instead of answered with the
	// first one's result; "" for a form, whose corrected resubmission is
	// still the one letter.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// DuplicateError is Apply's answer to a command whose key is already
// recorded: Record holds the first result. It matches ErrConflict for
// callers that do not replay.
type DuplicateError struct{ Record *store.IdemRecord }

func (e *DuplicateError) Error() string        { return "requête déjà traitée (même clé d'idempotence)" }
func (e *DuplicateError) Is(target error) bool { return target == ErrConflict }

// ErrKeyReused means a key came back with another request than the one it
// was first used for.
var ErrKeyReused = fmt.Errorf("%w: cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre requête", ErrInvalid)

// IdemRequest is the key of one request, carried in its context to the
// command it proposes.
type IdemRequest struct {
	key         string
	fingerprint func() string

	mu sync.Mutex
	// record is set once a command of the request recorded the key or
	// found it recorded; later commands of the request go without it.
	record *store.IdemRecord
}

// WithIdempotency returns a context whose commands carry key until one of
// them records it. fingerprint (nil for none) is called when a command is
// proposed, once the request's body has been read.
func WithIdempotency(ctx context.Context, key string, fingerprint func() string) (context.Context, *IdemRequest) {
	req := &IdemRequest{key: key, fingerprint: fingerprint}
	return context.WithValue(ctx, idemCtxKey{}, req), req
}

// Record is what the request's command recorded, nil if none did.
func (r *IdemRequest) Record() *store.IdemRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.record
}

type idemCtxKey struct{}

// StampIdem gives cmd the key of the request, if it has one not yet used.
func StampIdem(ctx context.Context, cmd *Command) {
	req, _ := ctx.Value(idemCtxKey{}).(*IdemRequest)
	if req == nil {
		return
	}
	req.mu.Lock()
	defer req.mu.Unlock()
	if req.record != nil {
		return
	}
	cmd.Idem = &Idem{Key: req.key}
	if req.fingerprint != nil {
		cmd.Idem.Fingerprint = req.fingerprint()
	}
}

// noteIdem keeps what Apply recorded, or found recorded, for the request.
func noteIdem(ctx context.Context, res *Result) {
	req, _ := ctx.Value(idemCtxKey{}).(*IdemRequest)
	if req == nil || res == nil {
		return
	}
	rec := res.Idem
	var dup *DuplicateError
	if errors.As(res.Err, &dup) {
		rec = dup.Record
	}
	if rec != nil {
		req.mu.Lock()
		req.record = rec
		req.mu.Unlock()
	}
}

// applyKeyed runs a command that carries a key: a key already recorded (by
// the command's time, within IdemWindow) answers with its first result and
// changes nothing; otherwise the handler runs and the key is recorded with
// its result in the same transaction. Keys older than the window are
// pruned here, by the command's time, so that every node prunes the same.
func ApplyKeyed(a *Ctx, idem *Idem, h handler) (any, *store.IdemRecord, error) {
	if idem.Key == "" {
		return nil, nil, fmt.Errorf("%w: clé d'idempotence vide", ErrInvalid)
	}
	cutoff := a.Cmd.At.Add(-IdemWindow).UTC().Format(domain.TimeLayout)
	if err := a.Tx.PruneIdem(cutoff); err != nil {
		return nil, nil, fmt.Errorf("prune idempotency keys: %w", err)
	}
	rec, err := a.Tx.IdemRecord(a.Ctx, a.Cmd.Tenant, a.Cmd.Actor, idem.Key)
	switch {
	case err == nil && rec.Fingerprint != idem.Fingerprint:
		return nil, nil, ErrKeyReused
	case err == nil:
		return nil, nil, &DuplicateError{Record: rec}
	case !errors.Is(err, store.ErrNotFound):
		return nil, nil, err
	}
	v, err := h(a)
	if err != nil {
		return nil, nil, err
	}
	result, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("record idempotency key: encode result: %w", err)
	}
	rec = &store.IdemRecord{TenantID: a.Cmd.Tenant, UserID: a.Cmd.Actor, Key: idem.Key, Fingerprint: idem.Fingerprint,
		CommandID: a.Cmd.ID, Kind: string(a.Cmd.Kind), Result: string(result), CreatedAt: a.At}
	if err := a.Tx.InsertIdem(rec); err != nil {
		return nil, nil, fmt.Errorf("record idempotency key: %w", err)
	}
	return v, rec, nil
}

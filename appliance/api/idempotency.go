package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"regexp"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// IdemHeader is the request header that makes a write safe to send again:
// the same key (per user) within 24 hours answers with the first result,
// same status and body, and does nothing more.
const IdemHeader = "Idempotency-Key"

// ReplayedHeader marks an answer that is the replay of a first result.
const ReplayedHeader = "Idempotent-Replayed"

// idemKeyRe: a key is 1 to 255 visible ASCII characters; a UUID is usual.
var idemKeyRe = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

const idemDoc = "Clé d'idempotence choisie par le client (un UUID par exemple, 255 caractères ASCII visibles au plus). " +
	"La même requête renvoyée avec la même clé dans les 24 heures reçoit la première réponse (même statut, même corps, " +
	"en-tête Idempotent-Replayed: true) et ne refait rien. La même clé avec une autre requête: 422."

func isWrite(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete
}

// keyed serves a write sent with an Idempotency-Key: a key already recorded
// for this user answers with its first result; otherwise the route runs
// with the key in its context, and the command it proposes records it.
func (s *Server) keyed(w http.ResponseWriter, r *http.Request, rt route, a *appliance.Actor, key string) {
	if !idemKeyRe.MatchString(key) {
		s.writeError(w, r, fmt.Errorf("%w: en-tête %s: 1 à 255 caractères ASCII visibles", ErrBadRequest, IdemHeader))
		return
	}
	fp := newFingerprint(r, rt.in != nil, s.svc.UploadLimit()+maxJSON)
	rec, err := s.svc.IdemRecord(r.Context(), a, key)
	switch {
	case err == nil:
		s.replayOrRefuse(w, r, rt, a, rec, fp)
		return
	case !errors.Is(err, appliance.ErrNotFound):
		s.writeError(w, r, err)
		return
	}
	ctx, req := appliance.WithIdempotency(r.Context(), key, fp.sum)
	r = r.WithContext(ctx)
	err = rt.h(w, r, a)
	if err == nil {
		return
	}
	var de *appliance.DuplicateError
	switch {
	case errors.As(err, &de):
		// A request with this key was applied between the look-up and
		// this one's command: decided in log order, answered as a replay.
		s.replay(w, r, rt, a, de.Record)
	case req.Record() == nil && !errors.Is(err, appliance.ErrKeyReused):
		// The route may have refused on what the first request with this
		// key changed (closing a letter closed by it): that request's
		// answer is the one to give.
		if rec, rerr := s.svc.IdemRecord(r.Context(), a, key); rerr == nil {
			s.replayOrRefuse(w, r, rt, a, rec, fp)
			return
		}
		s.writeError(w, r, err)
	default:
		s.writeError(w, r, err)
	}
}

func (s *Server) replayOrRefuse(w http.ResponseWriter, r *http.Request, rt route, a *appliance.Actor, rec *store.IdemRecord, fp *fingerprint) {
	if rec.Fingerprint != fp.sum() {
		s.writeError(w, r, appliance.ErrKeyReused)
		return
	}
	s.replay(w, r, rt, a, rec)
}

// replay answers with a recorded result: the route's success status and
// the result as recorded, or what the route makes of it.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rt route, a *appliance.Actor, rec *store.IdemRecord) {
	w.Header().Set(ReplayedHeader, "true")
	s.log.Info("api request replayed", "method", r.Method, "path", r.URL.Path, "user", a.User.Login, "command", rec.CommandID)
	if rt.replay != nil {
		if err := rt.replay(w, r, a, rec); err != nil {
			s.writeError(w, r, err)
		}
		return
	}
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusNoContent {
		writeJSON(w, status, nil)
		return
	}
	writeJSON(w, status, json.RawMessage(rec.Result))
}

// Replays of the routes whose answer is more than the command's result.

func (s *Server) replayLetter(w http.ResponseWriter, r *http.Request, a *appliance.Actor, rec *store.IdemRecord) error {
	var l domain.Letter
	if err := json.Unmarshal([]byte(rec.Result), &l); err != nil {
		return fmt.Errorf("replay %s: %w", rec.CommandID, err)
	}
	w.Header().Set("Location", "/api/v1/letters/"+l.ID)
	writeJSON(w, http.StatusCreated, json.RawMessage(rec.Result))
	return nil
}

func (s *Server) replayDraft(w http.ResponseWriter, r *http.Request, a *appliance.Actor, rec *store.IdemRecord) error {
	var d appliance.Draft
	if err := json.Unmarshal([]byte(rec.Result), &d); err != nil || d.Document == nil {
		return fmt.Errorf("replay %s: %v", rec.CommandID, err)
	}
	s.writeDraft(w, r, &d)
	return nil
}

func (s *Server) replayPostalAck(w http.ResponseWriter, r *http.Request, a *appliance.Actor, rec *store.IdemRecord) error {
	var d domain.Document
	if err := json.Unmarshal([]byte(rec.Result), &d); err != nil {
		return fmt.Errorf("replay %s: %w", rec.CommandID, err)
	}
	writeJSON(w, http.StatusCreated, appliance.PostalAckResult{DocumentID: d.ID, Name: d.Name})
	return nil
}

// replayToken cannot give the token again: it is shown once and stored
// only as a hash.
func (s *Server) replayToken(w http.ResponseWriter, r *http.Request, a *appliance.Actor, rec *store.IdemRecord) error {
	return fmt.Errorf("%w: le jeton créé par cette requête n'est affiché qu'une fois et ne peut pas être renvoyé; créez-en un autre (avec une autre clé)", appliance.ErrConflict)
}

// fingerprint sums a request so that a key reused for another request is
// refused: the method, the path and query, and the body, read as the route
// reads it. A JSON body is summed in canonical form (keys sorted, no
// spaces) and a multipart body without its boundary, which most clients
// draw anew for every attempt.
type fingerprint struct {
	h     hash.Hash
	w     io.Writer // into h, boundary removed for a multipart body
	body  io.ReadCloser
	limit int64 // of what sum reads of the body
	total string
}

func newFingerprint(r *http.Request, isJSON bool, limit int64) *fingerprint {
	f := &fingerprint{h: sha256.New(), limit: limit}
	fmt.Fprintf(f.h, "%s %s?%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
	f.w = f.h
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if isJSON && mt != "multipart/form-data" {
		// Bounded like decode: a larger body is refused by the route.
		buf, err := io.ReadAll(io.LimitReader(r.Body, maxJSON+1))
		if err == nil && len(buf) <= maxJSON {
			f.w.Write(canonicalJSON(buf))
			f.total = hex.EncodeToString(f.h.Sum(nil))
		}
		r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		if f.total != "" {
			return f
		}
		f.h.Reset()
		fmt.Fprintf(f.h, "%s %s?%s\n", r.Method, r.URL.Path, r.URL.RawQuery)
	}
	if b := params["boundary"]; mt == "multipart/form-data" && b != "" {
		f.w = &dropWriter{w: f.h, pattern: []byte(b)}
	}
	f.body = r.Body
	r.Body = readCloser{io.TeeReader(r.Body, f.w), r.Body}
	return f
}

// sum finishes the fingerprint; what the route left of the body is read
// first (bounded by the route's own limit), so that the sum covers it all.
func (f *fingerprint) sum() string {
	if f.total != "" {
		return f.total
	}
	if f.body != nil {
		io.CopyN(f.w, f.body, f.limit)
	}
	if d, ok := f.w.(*dropWriter); ok {
		d.flush()
	}
	f.total = hex.EncodeToString(f.h.Sum(nil))
	return f.total
}

// canonicalJSON re-encodes a JSON value with sorted keys and no spaces;
// what is not JSON is summed as it is.
func canonicalJSON(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

type readCloser struct {
	io.Reader
	io.Closer
}

// dropWriter writes to w what it is given, without any occurrence of
// pattern, even one cut across two writes.
type dropWriter struct {
	w       io.Writer
	pattern []byte
	pending []byte
}

func (d *dropWriter) Write(p []byte) (int, error) {
	d.pending = append(d.pending, p...)
	for {
		i := bytes.Index(d.pending, d.pattern)
		if i < 0 {
			break
		}
		d.w.Write(d.pending[:i])
		d.pending = d.pending[i+len(d.pattern):]
	}
	// Keep what could be the start of a pattern cut by this write.
	if keep := len(d.pattern) - 1; len(d.pending) > keep {
		d.w.Write(d.pending[:len(d.pending)-keep])
		d.pending = append(d.pending[:0], d.pending[len(d.pending)-keep:]...)
	}
	return len(p), nil
}

func (d *dropWriter) flush() {
	d.w.Write(d.pending)
	d.pending = nil
}

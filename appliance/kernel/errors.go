package kernel

import (
	"errors"
	"sort"
	"strings"

	"missive/appliance/store"
)

// Sentinel errors, defined once and matched with errors.Is in every layer.
var (
	ErrNotFound  = store.ErrNotFound
	ErrForbidden = errors.New("action non autorisée")
	ErrConflict  = errors.New("conflit")
	ErrInvalid   = errors.New("données invalides")
	// ErrNumberTaken means another letter took the stamped number between
	// stamping and applying (a leader change): the service stamps again.
	ErrNumberTaken = errors.New("numéro chrono déjà attribué")
)

// FieldErrors maps a field name to a French message shown next to it.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + f[k])
	}
	return b.String()
}

func (f FieldErrors) Is(target error) bool { return target == ErrInvalid }

// orNil returns nil when no field failed, so callers can `return errs.OrNil()`.
func (f FieldErrors) OrNil() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// ErrUnavailable means the request could not be served now: no leader, a
// node shutting down, a database that does not answer. The caller may
// retry. Cluster errors wrap it; database errors are matched by
// IsUnavailable.
var ErrUnavailable = store.ErrUnavailable

// ReadOnlyError is every write's error on a node that started read-only
// (its disk was full): it serves reads and says why it takes no write.
// It matches ErrUnavailable: the write may succeed later, once the cause
// is gone.
type ReadOnlyError struct {
	// Reason says why and what to do, in French.
	Reason string
}

func (e *ReadOnlyError) Error() string { return e.Reason }

func (e *ReadOnlyError) Is(target error) bool { return target == ErrUnavailable }

// IsUnavailable says whether err means "try again later": ErrUnavailable,
// or a database that cannot be reached or cannot work now. Every outer
// layer answers it the same way: 503 with Retry-After, SMTP 451, the
// "service momentanément indisponible" page; never as a refusal or as a
// failed login.
func IsUnavailable(err error) bool { return store.IsUnavailable(err) }

// ErrPending means the change is in the replicated log, so it will be
// applied, but the database did not take it yet: the Applier applies it as
// soon as the database answers again. A client told so must not send it
// again (or must send it with the same idempotency key).
var ErrPending = errors.New("demande acceptée, en attente de la base de données")

// PendingError is ErrPending for one command.
type PendingError struct{ CommandID string }

func (e *PendingError) Error() string {
	return "demande acceptée et inscrite au journal (commande " + e.CommandID + "), pas encore appliquée: " +
		"la base de données ne répond pas ; elle le sera dès son retour, ne la renvoyez pas"
}

func (e *PendingError) Is(target error) bool { return target == ErrPending }

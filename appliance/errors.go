package appliance

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
	// errNumberTaken means another letter took the stamped number between
	// stamping and applying (a leader change): the service stamps again.
	errNumberTaken = errors.New("numéro chrono déjà attribué")
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

// orNil returns nil when no field failed, so callers can `return errs.orNil()`.
func (f FieldErrors) orNil() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// ErrUnavailable means the write could not be committed now (no leader, node
// shutting down); the caller may retry. Cluster errors wrap it.
var ErrUnavailable = errors.New("service momentanément indisponible")

package kernel

import "errors"

// UnavailableError is ErrUnavailable for a stated reason that is not the
// database: the cluster has no quorum, this node was removed or is
// stopping, the leader changed. Reason is French, for users and the IT
// person: the outer layers (API, web, WebDAV, SMTP, control socket) show it
// instead of "la base de données ne répond pas", so that each refusal says
// what it is.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string        { return e.Reason }
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// UnavailableReason says in French why err means "try again later": the
// stated reason when there is one, else the database.
func UnavailableReason(err error) string {
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return ue.Reason
	}
	return "la base de données ne répond pas"
}

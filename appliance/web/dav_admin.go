package web

import (
	"errors"
	"net/http"

	"missive/appliance"
	"missive/appliance/domain"
)

// The administrator's view of the share's locks: a lock left by an editor
// that crashed expires on its own, but a town cannot always wait for it.

func init() {
	for k, v := range map[string][2]string{
		"locks.title":   {"Verrous WebDAV", "WebDAV locks"},
		"locks.lead":    {"Un document ouvert dans LibreOffice ou OnlyOffice est verrouillé tant que l'éditeur le garde ouvert. Un verrou resté en place (éditeur arrêté brutalement) expire seul ; vous pouvez le lever avant, l'éditeur qui le tenait ne pourra plus enregistrer par-dessus.", "A document open in LibreOffice or OnlyOffice is locked while the editor keeps it open. A lock left behind (an editor that crashed) expires on its own; you may break it sooner, and the editor that held it can no longer save over it."},
		"locks.none":    {"Aucun verrou en cours.", "No lock at the moment."},
		"locks.path":    {"Document", "Document"},
		"locks.user":    {"Tenu par", "Held by"},
		"locks.since":   {"Depuis", "Since"},
		"locks.expires": {"Expire", "Expires"},
		"locks.never":   {"jamais", "never"},
		"locks.break":   {"Lever le verrou", "Break the lock"},
		"locks.breakon": {"Lever le verrou de %s", "Break the lock on %s"},
		"locks.broken":  {"Verrou levé", "Lock broken"},
		"locks.gone":    {"Ce verrou n'existe plus (levé ou expiré entre-temps).", "This lock no longer exists (broken or expired meanwhile)."},
	} {
		catalogue["fr"][k], catalogue["en"][k] = v[0], v[1]
	}
}

func (s *Server) davAdminRoutes() []struct {
	pattern string
	h       handler
} {
	return []struct {
		pattern string
		h       handler
	}{
		{"GET /admin/locks", s.adminLocks},
		{"POST /admin/locks/{token}/break", s.adminBreakLock},
	}
}

type lockRow struct {
	domain.DavLock
	User string
}

func (s *Server) adminLocks(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	ctx := r.Context()
	locks, err := s.svc.DavAdminLocks(ctx, q.actor)
	if err != nil {
		return err
	}
	users, err := s.svc.Users(ctx, q.actor)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name + " (" + u.Login + ")"
	}
	rows := make([]lockRow, 0, len(locks))
	for _, l := range locks {
		rows = append(rows, lockRow{DavLock: l, User: names[l.UserID]})
	}
	v := s.page(w, r, q, tr(q.lang, "locks.title"), "admin-locks", rows)
	s.render(w, q, http.StatusOK, "admin_locks", v)
	return nil
}

func (s *Server) adminBreakLock(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	err := s.svc.DavBreakLock(r.Context(), q.actor, r.PathValue("token"))
	if errors.Is(err, appliance.ErrNotFound) {
		return s.doneErr(w, r, q, "/admin/locks", tr(q.lang, "locks.gone"))
	}
	if err != nil {
		return err
	}
	s.log.Info("web: webdav lock broken", "admin", q.actor.User.Login)
	return s.done(w, r, q, "/admin/locks", tr(q.lang, "locks.broken"))
}

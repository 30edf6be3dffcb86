package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// Administration › Sauvegardes: the health of the backups and the latest
// runs (recorded on every node), and "Sauvegarder maintenant". The backups
// themselves are made by package backup, outside the appliance, behind
// Options.Backup.

// Backups is what the page needs of the backup manager.
type Backups interface {
	// Policy is the configuration's schedule and targets.
	Policy() appliance.BackupPolicy
	// Start runs a backup in the background; it fails at once when one is
	// running already or none is configured.
	Start(trigger string) error
	Running() bool
}

func init() {
	for k, v := range map[string][2]string{
		"backup.title":            {"Sauvegardes", "Backups"},
		"backup.lead":             {"Chaque nuit, Missive sauvegarde la base, les documents et ses clés, chiffrés, sur chaque cible de la section [backup] de missive.toml, puis relit et vérifie chaque sauvegarde.", "Every night Missive backs up its database, documents and keys, encrypted, to each target of the [backup] section of missive.toml, then reads back and verifies each backup."},
		"backup.phrase":           {"Sans la phrase de passe, aucune sauvegarde ne se restaure : imprimez-la (fichier passphrase_file) et rangez-la à part, hors du serveur et de la salle des serveurs.", "Without the passphrase no backup can be restored: print it (passphrase_file) and keep it apart, away from the server and its room."},
		"backup.now":              {"Sauvegarder maintenant", "Back up now"},
		"backup.started":          {"Sauvegarde lancée : son résultat s'affichera ici.", "Backup started: its outcome will show here."},
		"backup.running":          {"Une sauvegarde est en cours.", "A backup is running."},
		"backup.none":             {"Aucune sauvegarde n'a encore été faite.", "No backup has been made yet."},
		"backup.when":             {"Fin", "Finished"},
		"backup.target":           {"Cible", "Target"},
		"backup.trigger":          {"Déclenchée par", "Started by"},
		"backup.status":           {"Résultat", "Outcome"},
		"backup.size":             {"Taille", "Size"},
		"backup.sent":             {"Envoyé", "Sent"},
		"backup.dur":              {"Durée", "Duration"},
		"backup.verif":            {"Vérifiée", "Verified"},
		"backup.id":               {"Sauvegarde", "Backup"},
		"backup.yes":              {"oui", "yes"},
		"backup.no":               {"non", "no"},
		"backup.ok":               {"réussie", "done"},
		"backup.failed":           {"échec", "failed"},
		"backup.late":             {"en retard", "late"},
		"backup.schedule":         {"Sauvegarde automatique chaque jour à %s (heure de Paris).", "Automatic backup every day at %s (Paris time)."},
		"backup.noschedule":       {"Pas de sauvegarde automatique : réglez schedule et au moins une [[backup.target]] dans missive.toml.", "No automatic backup: set schedule and at least one [[backup.target]] in missive.toml."},
		"backup.alert":            {"Sauvegardes :", "Backups:"},
		"backup.see":              {"voir Sauvegardes", "see Backups"},
		"backup.trigger.schedule": {"horaire", "schedule"},
		"backup.trigger.manual":   {"bouton", "button"},
		"backup.trigger.cli":      {"commande", "command"},
	} {
		catalogue["fr"][k], catalogue["en"][k] = v[0], v[1]
	}
}

func (s *Server) backupRoutes() []struct {
	pattern string
	h       handler
} {
	return []struct {
		pattern string
		h       handler
	}{
		{"GET /admin/backups", s.adminBackups},
		{"POST /admin/backups", s.adminBackupNow},
	}
}

type backupsPage struct {
	Health   appliance.BackupHealth
	Policy   appliance.BackupPolicy
	Runs     []backupRow
	Running  bool
	Enabled  bool // a backup manager runs in this process
	Schedule string
}

type backupRow struct {
	domain.BackupRun
	Duration string
}

// backupHealth is the banner of the admin pages: nil when all is well or
// the actor is not an administrator.
func (s *Server) backupHealth(ctx context.Context, a *appliance.Actor) *appliance.BackupHealth {
	if s.opts.Backup == nil || !a.IsAdmin() {
		return nil
	}
	runs, err := s.svc.BackupRuns(ctx, a, 200)
	if err != nil {
		s.log.Error("web: read backup runs", "err", err)
		return nil
	}
	h := appliance.CheckBackups(runs, s.opts.Backup.Policy(), s.now())
	if h.OK() {
		return nil
	}
	return &h
}

func (s *Server) adminBackups(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	runs, err := s.svc.BackupRuns(r.Context(), q.actor, 50)
	if err != nil {
		return err
	}
	d := backupsPage{Enabled: s.opts.Backup != nil}
	if d.Enabled {
		d.Policy, d.Running = s.opts.Backup.Policy(), s.opts.Backup.Running()
	}
	d.Health = appliance.CheckBackups(runs, d.Policy, s.now())
	for _, run := range runs {
		d.Runs = append(d.Runs, backupRow{BackupRun: run, Duration: (time.Duration(run.DurationMS) * time.Millisecond).Round(time.Second).String()})
	}
	v := s.page(w, r, q, tr(q.lang, "backup.title"), "admin-backups", d)
	s.render(w, q, http.StatusOK, "admin_backups", v)
	return nil
}

func (s *Server) adminBackupNow(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	if s.opts.Backup == nil {
		return s.doneErr(w, r, q, "/admin/backups", tr(q.lang, "backup.noschedule"))
	}
	if err := s.opts.Backup.Start("manual"); err != nil {
		if errors.Is(err, appliance.ErrConflict) {
			return s.doneErr(w, r, q, "/admin/backups", tr(q.lang, "backup.running"))
		}
		return s.doneErr(w, r, q, "/admin/backups", err.Error())
	}
	s.log.Info("backup started from the admin page", "user", q.actor.User.Login)
	return s.done(w, r, q, "/admin/backups", tr(q.lang, "backup.started"))
}

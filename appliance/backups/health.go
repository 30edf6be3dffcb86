package backups

import (
	"fmt"
	"time"

	"missive/appliance/config"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// Backup health states, worst first.
const (
	BackupStateFailed = "failed"
	BackupStateLate   = "late"
	BackupStateNever  = "never"
	BackupStateOff    = "off"
	BackupStateOK     = "ok"
)

// BackupAllTargets is the target of a run that concerns every target: a
// scheduled backup that could not start, or is late.
const BackupAllTargets = "(toutes)"

// BackupLateAfter is how long after its time a scheduled backup may still
// be running before it is late.
const BackupLateAfter = 2 * time.Hour

// BackupPolicy is what the configuration says of backups.
type BackupPolicy struct {
	Schedule string   // "HH:MM", Paris time; "": no automatic backup
	Targets  []string // addresses, without passwords
}

// BackupHealth is the state the admin home page, `missive doctor` and
// `missive backup status` show.
type BackupHealth struct {
	State string
	// Message is one French line for the IT person.
	Message string
	// Targets has one line per target.
	Targets []BackupTargetHealth
}

// BackupTargetHealth is the state of one target.
type BackupTargetHealth struct {
	Target  string
	State   string
	LastOK  *store.BackupRun
	Last    *store.BackupRun
	Message string
}

// OK says whether backups need no attention.
func (h BackupHealth) OK() bool { return h.State == BackupStateOK }

var backupRank = map[string]int{BackupStateFailed: 0, BackupStateLate: 1, BackupStateNever: 2, BackupStateOff: 3, BackupStateOK: 4}

// CheckBackups computes the health from the latest runs (newest first).
func CheckBackups(runs []store.BackupRun, p BackupPolicy, now time.Time) BackupHealth {
	targets := p.Targets
	if len(targets) == 0 {
		seen := map[string]bool{}
		for _, r := range runs {
			if !seen[r.Target] && r.Target != BackupAllTargets {
				seen[r.Target] = true
				targets = append(targets, r.Target)
			}
		}
	}
	if len(targets) == 0 {
		return BackupHealth{State: BackupStateOff, Message: "Aucune sauvegarde configurée: ajoutez une cible dans la section [backup] de missive.toml (voir missive config describe)."}
	}
	var due time.Time
	if h, m, err := config.ParseSchedule(p.Schedule); err == nil && p.Schedule != "" {
		due = lastDue(now, h, m)
	}
	out := BackupHealth{State: BackupStateOK}
	for _, t := range targets {
		th := BackupTargetHealth{Target: t, State: BackupStateOK}
		for i := range runs {
			r := &runs[i]
			if r.Target != t && r.Target != BackupAllTargets {
				continue
			}
			if th.Last == nil {
				th.Last = r
			}
			if r.Status == BackupOK {
				th.LastOK = r
				break
			}
		}
		switch {
		case th.Last != nil && th.Last.Status == BackupLate:
			th.State = BackupStateLate
			th.Message = "Sauvegarde en retard: " + th.Last.Error
		case th.Last != nil && th.Last.Status != BackupOK:
			th.State = BackupStateFailed
			th.Message = fmt.Sprintf("Échec de la sauvegarde vers %s le %s: %s", t, frenchTime(th.Last.FinishedAt), th.Last.Error)
		case th.LastOK == nil:
			th.State = BackupStateNever
			th.Message = "Aucune sauvegarde n'a encore été faite vers " + t + "."
		case !due.IsZero() && th.LastOK.FinishedAt < due.UTC().Format(domain.TimeLayout):
			th.State = BackupStateLate
			th.Message = fmt.Sprintf("Aucune sauvegarde réussie vers %s depuis le %s (prévue chaque jour à %s).", t, frenchTime(th.LastOK.FinishedAt), p.Schedule)
		default:
			th.Message = fmt.Sprintf("Dernière sauvegarde vérifiée vers %s le %s.", t, frenchTime(th.LastOK.FinishedAt))
		}
		if backupRank[th.State] < backupRank[out.State] || out.Message == "" {
			out.State, out.Message = th.State, th.Message
		}
		out.Targets = append(out.Targets, th)
	}
	return out
}

// lastDue is the latest scheduled time that is more than BackupLateAfter
// in the past.
func lastDue(now time.Time, hour, minute int) time.Time {
	n := now.In(domain.Paris).Add(-BackupLateAfter)
	d := time.Date(n.Year(), n.Month(), n.Day(), hour, minute, 0, 0, domain.Paris)
	if d.After(n) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

package backup

import (
	"context"
	"fmt"
	"time"

	"missive/appliance"
	"missive/appliance/config"
	"missive/appliance/domain"
)

// Schedule runs the daily backup on the leader until ctx ends. It runs a
// backup when the latest scheduled time has passed and no scheduled run
// started since, so that a server that was down at 02:30 backs up as soon
// as it is back; a failed run is tried again every hour, three times. A
// backup still missing BackupLateAfter past its time is recorded as late,
// which alerts the administrators once.
func (m *Manager) Schedule(ctx context.Context) {
	h, min, err := config.ParseSchedule(m.Config.Schedule)
	if err != nil || m.Config.Schedule == "" || len(m.Config.Targets) == 0 {
		return
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		var changed <-chan struct{}
		if m.LeaderChanged != nil {
			changed = m.LeaderChanged()
		}
		if m.Leader == nil || m.Leader() {
			m.scheduleOnce(ctx, h, min)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-changed:
		}
	}
}

// scheduleOnce decides and, when due, starts a run.
func (m *Manager) scheduleOnce(ctx context.Context, hour, minute int) {
	if m.Rec == nil {
		return // nowhere to read what was done, nor to record it
	}
	runs, err := m.Rec.System().BackupRuns(ctx, 200)
	if err != nil {
		m.log().Error("backup schedule: read runs", "err", err)
		return
	}
	now := m.now()
	due := latestDue(now, hour, minute)
	if due.IsZero() {
		return
	}
	dueText := due.UTC().Format(domain.TimeLayout)
	attempts, late := 0, false
	var lastAttempt time.Time
	for _, r := range runs {
		if r.StartedAt < dueText && r.FinishedAt < dueText {
			break // runs are newest first
		}
		switch {
		case r.Trigger == "schedule" && r.Status == appliance.BackupOK:
			return // today's backup is done
		case r.Trigger == "schedule" && r.Status == appliance.BackupFailed:
			attempts++
			if t, err := time.Parse(domain.TimeLayout, r.FinishedAt); err == nil && t.After(lastAttempt) {
				lastAttempt = t
			}
		case r.Status == appliance.BackupLate:
			late = true
		}
	}
	if m.isRunning() {
		if !late && now.Sub(due) > appliance.BackupLateAfter {
			m.recordLate(ctx, due, "la sauvegarde commencée à "+due.In(domain.Paris).Format("15:04")+" n'est toujours pas finie (cible bloquée?)")
		}
		return
	}
	if attempts >= 3 || (attempts > 0 && now.Sub(lastAttempt) < time.Hour) {
		return
	}
	if !m.begin() {
		return
	}
	go func() {
		defer m.end()
		if _, err := m.run(ctx, RunRequest{Trigger: "schedule"}); err != nil {
			// A run that could not start on any target (no passphrase
			// file…) records nothing by itself.
			m.recordFailure(ctx, "schedule", err)
		}
	}()
}

func (m *Manager) isRunning() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running
}

func (m *Manager) recordLate(ctx context.Context, due time.Time, why string) {
	if m.Rec == nil {
		return
	}
	now := m.now().UTC().Format(domain.TimeLayout)
	run := domain.BackupRun{ID: appliance.NewID(), Target: appliance.BackupAllTargets, Trigger: "schedule", Node: m.Src.Node, StartedAt: due.UTC().Format(domain.TimeLayout),
		FinishedAt: now, Status: appliance.BackupLate, Error: why}
	if err := m.Rec.RecordBackupRun(ctx, run); err != nil {
		m.log().Error("record late backup", "err", err)
	}
}

func (m *Manager) recordFailure(ctx context.Context, trigger string, cause error) {
	if m.Rec == nil {
		return
	}
	now := m.now().UTC().Format(domain.TimeLayout)
	run := domain.BackupRun{ID: appliance.NewID(), Target: appliance.BackupAllTargets, Trigger: trigger, Node: m.Src.Node, StartedAt: now, FinishedAt: now,
		Status: appliance.BackupFailed, Error: cause.Error()}
	if err := m.Rec.RecordBackupRun(ctx, run); err != nil {
		m.log().Error("record backup failure", "err", fmt.Errorf("%w (cause: %v)", err, cause))
	}
}

// latestDue is the latest scheduled time at or before now, Paris time.
func latestDue(now time.Time, hour, minute int) time.Time {
	n := now.In(domain.Paris)
	d := time.Date(n.Year(), n.Month(), n.Day(), hour, minute, 0, 0, domain.Paris)
	if d.After(n) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

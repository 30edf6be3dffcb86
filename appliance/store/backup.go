package store

import (
	"context"
	"missive/appliance/domain"
)

// Rows of the backup runs (backup_runs, migration 0014).

const backupRunCols = `id, target, trigger_kind, node, started_at, finished_at, status, backup_id, applied_index, size, sent, duration_ms, verified, error, alerted`

// BackupRuns returns the latest runs, newest first.
func (r BackupReader) BackupRuns(ctx context.Context, limit int) ([]domain.BackupRun, error) {
	rows, err := r.query(ctx, `SELECT `+backupRunCols+` FROM backup_runs ORDER BY finished_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.BackupRun{}
	for rows.Next() {
		var b domain.BackupRun
		if err := rows.Scan(&b.ID, &b.Target, &b.Trigger, &b.Node, &b.StartedAt, &b.FinishedAt, &b.Status, &b.BackupID,
			&b.AppliedIndex, &b.Size, &b.Sent, &b.DurationMS, &b.Verified, &b.Error, &b.Alerted); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BackupAlertedSinceOK says whether a failure since the last successful
// run already alerted the administrators.
func (r BackupReader) BackupAlertedSinceOK(ctx context.Context) (bool, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COUNT(*) FROM backup_runs WHERE alerted = 1 AND finished_at >= COALESCE((SELECT MAX(finished_at) FROM backup_runs WHERE status = 'ok'), '')`).Scan(&n)
	return n > 0, err
}

func (t BackupTx) InsertBackupRun(b *domain.BackupRun) error {
	return t.exec(`INSERT INTO backup_runs (`+backupRunCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.Target, b.Trigger, b.Node, b.StartedAt, b.FinishedAt, b.Status, b.BackupID, b.AppliedIndex, b.Size, b.Sent, b.DurationMS, b2i(b.Verified), b.Error, b2i(b.Alerted))
}

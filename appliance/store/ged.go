package store

import (
	"context"
	"missive/appliance/domain"
)

// Rows of the GED export (ged_targets, ged_exports) and of the OnlyOffice
// settings (onlyoffice_servers), migration 0006. Their secrets are read by
// the exporter and the OnlyOffice endpoints only; they never reach the API.

func (r GEDReader) GEDTarget(ctx context.Context, tenant string) (*domain.GEDTarget, error) {
	var g domain.GEDTarget
	err := r.queryRow(ctx, `SELECT tenant_id, url, username, secret, on_close, updated_at FROM ged_targets WHERE tenant_id = ?`, tenant).
		Scan(&g.TenantID, &g.URL, &g.Username, &g.Secret, &g.OnClose, &g.UpdatedAt)
	if err := notFound(err, "GED de "+tenant); err != nil {
		return nil, err
	}
	return &g, nil
}

const gedExportCols = `id, tenant_id, letter_id, reason, status, attempts, next_try, last_error, location, files, created_at, done_at`

func scanGEDExport(sc interface{ Scan(...any) error }) (domain.GEDExport, error) {
	var e domain.GEDExport
	err := sc.Scan(&e.ID, &e.TenantID, &e.LetterID, &e.Reason, &e.Status, &e.Attempts, &e.NextTry, &e.LastError, &e.Location, &e.Files, &e.CreatedAt, &e.DoneAt)
	return e, err
}

func (r GEDReader) GEDExport(ctx context.Context, id string) (*domain.GEDExport, error) {
	e, err := scanGEDExport(r.queryRow(ctx, `SELECT `+gedExportCols+` FROM ged_exports WHERE id = ?`, id))
	if err := notFound(err, "export "+id); err != nil {
		return nil, err
	}
	return &e, nil
}

func (r GEDReader) gedExports(ctx context.Context, q string, args ...any) ([]domain.GEDExport, error) {
	rows, err := r.query(ctx, `SELECT `+gedExportCols+` FROM ged_exports `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.GEDExport{}
	for rows.Next() {
		e, err := scanGEDExport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GEDExportsDue lists queued exports whose next try has come, oldest first.
func (r GEDReader) GEDExportsDue(ctx context.Context, now string, limit int) ([]domain.GEDExport, error) {
	return r.gedExports(ctx, `WHERE status = 'queued' AND next_try <= ? ORDER BY next_try, created_at, id LIMIT ?`, now, limit)
}

// GEDExportsOf lists a letter's exports, newest first.
func (r GEDReader) GEDExportsOf(ctx context.Context, letterID string) ([]domain.GEDExport, error) {
	return r.gedExports(ctx, `WHERE letter_id = ? ORDER BY created_at DESC, id DESC`, letterID)
}

func (r GEDReader) OnlyOfficeServer(ctx context.Context, tenant string) (*domain.OnlyOfficeServer, error) {
	var o domain.OnlyOfficeServer
	err := r.queryRow(ctx, `SELECT tenant_id, url, secret, updated_at FROM onlyoffice_servers WHERE tenant_id = ?`, tenant).
		Scan(&o.TenantID, &o.URL, &o.Secret, &o.UpdatedAt)
	if err := notFound(err, "serveur OnlyOffice de "+tenant); err != nil {
		return nil, err
	}
	return &o, nil
}

// Writes, for the Applier alone.

// SetGEDTarget replaces the tenant's target.
func (t GEDTx) SetGEDTarget(g *domain.GEDTarget) error {
	if err := t.exec(`DELETE FROM ged_targets WHERE tenant_id = ?`, g.TenantID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO ged_targets (tenant_id, url, username, secret, on_close, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		g.TenantID, g.URL, g.Username, g.Secret, b2i(g.OnClose), g.UpdatedAt)
}

func (t GEDTx) InsertGEDExport(e *domain.GEDExport) error {
	return t.exec(`INSERT INTO ged_exports (`+gedExportCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.TenantID, e.LetterID, e.Reason, e.Status, e.Attempts, e.NextTry, e.LastError, e.Location, e.Files, e.CreatedAt, e.DoneAt)
}

// UpdateGEDExport records the outcome of an attempt.
func (t GEDTx) UpdateGEDExport(e *domain.GEDExport) error {
	return t.exec(`UPDATE ged_exports SET status = ?, attempts = ?, next_try = ?, last_error = ?, location = ?, files = ?, done_at = ? WHERE id = ?`,
		e.Status, e.Attempts, e.NextTry, e.LastError, e.Location, e.Files, e.DoneAt, e.ID)
}

// RequeueFailedGEDExports gives the tenant's failed exports a fresh start,
// after its target changed: a wrong password loses nothing.
func (t GEDTx) RequeueFailedGEDExports(tenant, at string) error {
	return t.exec(`UPDATE ged_exports SET status = 'queued', attempts = 0, next_try = ? WHERE tenant_id = ? AND status = 'failed'`, at, tenant)
}

// RetryGEDExportsNow brings the tenant's queued exports forward, after its
// target changed: the new settings are tried at once.
func (t GEDTx) RetryGEDExportsNow(tenant, at string) error {
	return t.exec(`UPDATE ged_exports SET next_try = ? WHERE tenant_id = ? AND status = 'queued' AND next_try > ?`, at, tenant, at)
}

// SetOnlyOfficeServer replaces the tenant's Document Server.
func (t GEDTx) SetOnlyOfficeServer(o *domain.OnlyOfficeServer) error {
	if err := t.exec(`DELETE FROM onlyoffice_servers WHERE tenant_id = ?`, o.TenantID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO onlyoffice_servers (tenant_id, url, secret, updated_at) VALUES (?, ?, ?, ?)`, o.TenantID, o.URL, o.Secret, o.UpdatedAt)
}

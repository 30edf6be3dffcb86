package store

import (
	"context"
	"missive/appliance/domain"
)

// domain.IdemRecord reads the record of a key of a user (ErrNotFound when the key
// is new). Expiry is the caller's: it knows the time.
func (r KernelReader) IdemRecord(ctx context.Context, tenant, userID, key string) (*domain.IdemRecord, error) {
	x := domain.IdemRecord{TenantID: tenant, UserID: userID, Key: key}
	err := r.queryRow(ctx, `SELECT fingerprint, command_id, kind, result, created_at FROM idempotency_keys WHERE tenant_id = ? AND user_id = ? AND key = ?`,
		tenant, userID, key).Scan(&x.Fingerprint, &x.CommandID, &x.Kind, &x.Result, &x.CreatedAt)
	if err != nil {
		return nil, notFound(err, "clé d'idempotence "+key)
	}
	return &x, nil
}

// InsertIdem records a key with the result of the command that used it.
func (t KernelTx) InsertIdem(x *domain.IdemRecord) error {
	return t.exec(`INSERT INTO idempotency_keys (tenant_id, user_id, key, fingerprint, command_id, kind, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		x.TenantID, x.UserID, x.Key, x.Fingerprint, x.CommandID, x.Kind, x.Result, x.CreatedAt)
}

// PruneIdem forgets every key recorded before cutoff (a TimeLayout instant).
func (t KernelTx) PruneIdem(cutoff string) error {
	return t.exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, cutoff)
}

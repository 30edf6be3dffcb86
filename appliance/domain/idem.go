package domain

// IdemRecord is what a request sent with an idempotency key made: the
// command that applied it and its result, as JSON.
type IdemRecord struct {
	TenantID    string
	UserID      string
	Key         string
	Fingerprint string
	CommandID   string
	Kind        string
	Result      string
	CreatedAt   string
}

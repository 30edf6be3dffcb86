package domain

// BackupRun is one run of a backup on one target.
type BackupRun struct {
	ID           string `json:"id"`
	Target       string `json:"target"`  // address, without any password
	Trigger      string `json:"trigger"` // schedule, manual (web page), cli
	Node         string `json:"node,omitempty"`
	StartedAt    string `json:"started_at"`
	FinishedAt   string `json:"finished_at"`
	Status       string `json:"status"` // ok, failed, late
	BackupID     string `json:"backup_id,omitempty"`
	AppliedIndex int64  `json:"applied_index,omitempty"`
	Size         int64  `json:"size,omitempty"`
	Sent         int64  `json:"sent,omitempty"`
	DurationMS   int64  `json:"duration_ms,omitempty"`
	Verified     bool   `json:"verified"`
	Error        string `json:"error,omitempty"`
	// Alerted: this failure queued the e-mail to the administrators.
	Alerted bool `json:"alerted,omitempty"`
}

package appliance

import "missive/appliance/backups"

// The backup-runs feature's names the backup package, the command line,
// the web pages and the tests use.
type (
	BackupRunRecord    = backups.BackupRunRecord
	BackupAlert        = backups.BackupAlert
	BackupAlertMail    = backups.AlertMail
	BackupPolicy       = backups.BackupPolicy
	BackupHealth       = backups.BackupHealth
	BackupTargetHealth = backups.BackupTargetHealth
)

const (
	KindBackupRun     = backups.KindBackupRun
	BackupOK          = backups.BackupOK
	BackupFailed      = backups.BackupFailed
	BackupLate        = backups.BackupLate
	BackupStateFailed = backups.BackupStateFailed
	BackupStateLate   = backups.BackupStateLate
	BackupStateNever  = backups.BackupStateNever
	BackupStateOff    = backups.BackupStateOff
	BackupStateOK     = backups.BackupStateOK
	BackupAllTargets  = backups.BackupAllTargets
	BackupLateAfter   = backups.BackupLateAfter
)

// CheckBackups computes the backups' health from the latest runs.
var CheckBackups = backups.CheckBackups

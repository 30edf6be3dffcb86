// Package appliance is the facade of the correspondence application: New
// wires the kernel (appliance/kernel: commands, the Applier, history,
// actors) with the features and returns the Service the outer layers
// (web, api, control, mail bridge, WebDAV, the command line) use. Domain
// types live in appliance/domain, the database in appliance/store.
// appliance/DESIGN.md tells the write path in one page.
package appliance

import "missive/appliance/kernel"

// The kernel's names the outer layers use, so that they import the facade
// only and never the kernel itself.
type (
	Actor             = kernel.Actor
	Applier           = kernel.Applier
	AsyncProposer     = kernel.AsyncProposer
	Command           = kernel.Command
	DuplicateError    = kernel.DuplicateError
	FieldErrors       = kernel.FieldErrors
	HistoryCheckpoint = kernel.HistoryCheckpoint
	Idem              = kernel.Idem
	IdemRequest       = kernel.IdemRequest
	Kind              = kernel.Kind
	PendingError      = kernel.PendingError
	Proposer          = kernel.Proposer
	ReadOnlyError     = kernel.ReadOnlyError
	Result            = kernel.Result
	SecretBox         = kernel.SecretBox
	ThrottledError    = kernel.ThrottledError
	UnavailableError  = kernel.UnavailableError
	VerifyOptions     = kernel.VerifyOptions
	VerifyResult      = kernel.VerifyResult
)

const (
	CheckpointTenant      = kernel.CheckpointTenant
	CommandVersion        = kernel.CommandVersion
	HistoryKeyLabel       = kernel.HistoryKeyLabel
	IdemWindow            = kernel.IdemWindow
	SecretKeyFile         = kernel.SecretKeyFile
	SigningAnchorFile     = kernel.SigningAnchorFile
	SystemActor           = kernel.SystemActor
	KindHistoryCheckpoint = kernel.KindHistoryCheckpoint
)

var (
	ErrNotFound    = kernel.ErrNotFound
	ErrForbidden   = kernel.ErrForbidden
	ErrConflict    = kernel.ErrConflict
	ErrInvalid     = kernel.ErrInvalid
	ErrUnavailable = kernel.ErrUnavailable
	ErrPending     = kernel.ErrPending
	ErrKeyReused   = kernel.ErrKeyReused
	ErrSecretKey   = kernel.ErrSecretKey
	ErrThrottled   = kernel.ErrThrottled
	ErrTooLarge    = kernel.ErrTooLarge
)

package store

import "missive/appliance/domain"

// The entity types the store persists are the domain's; these names keep
// the store's callers compiling while they move to the domain's names.
type (
	BackupRun        = domain.BackupRun
	JoinToken        = domain.JoinToken
	ClusterMember    = domain.ClusterMember
	DavNode          = domain.DavNode
	DavProp          = domain.DavProp
	DavLock          = domain.DavLock
	DraftTemplate    = domain.DraftTemplate
	GEDTarget        = domain.GEDTarget
	GEDExport        = domain.GEDExport
	OnlyOfficeServer = domain.OnlyOfficeServer
	IdemRecord       = domain.IdemRecord
	MailAckPolicy    = domain.MailAckPolicy
	MailAddress      = domain.MailAddress
	MailRelay        = domain.MailRelay
	Mailbox          = domain.Mailbox
	MailRule         = domain.MailRule
	MailTemplate     = domain.MailTemplate
	MailSeen         = domain.MailSeen
	OutboxEntry      = domain.OutboxEntry
	MailNotice       = domain.MailNotice
	BasketRow        = domain.BasketRow
	SavedSearch      = domain.SavedSearch
	TLSAsset         = domain.TLSAsset
	TLSLock          = domain.TLSLock
)

package appliance

import (
	"context"

	"missive/appliance/kernel"
	"missive/appliance/letters"
	"missive/appliance/mail"
)

// The mail feature's names the outer layers (mailbridge, web, api, the
// command line) and the tests use, kept in the facade.
type (
	MailAddressInput  = mail.MailAddressInput
	MailRelayInput    = mail.MailRelayInput
	MailboxInput      = mail.MailboxInput
	MailRuleInput     = mail.MailRuleInput
	MailTemplateInput = mail.MailTemplateInput
	MailSettings      = mail.MailSettings
	MailTestResult    = mail.MailTestResult
	MailBridge        = mail.MailBridge
	PostalAckResult   = mail.PostalAckResult
	MailMessage       = mail.MailMessage
	MailAnswerInput   = mail.MailAnswerInput
	MailSeenError     = mail.MailSeenError

	MailAddressAdd    = mail.MailAddressAdd
	MailRelaySet      = mail.MailRelaySet
	MailboxAdd        = mail.MailboxAdd
	MailRuleAdd       = mail.MailRuleAdd
	MailTemplateSet   = mail.MailTemplateSet
	MailIntake        = mail.MailIntake[LetterRegister, LetterAttach]
	MailOutboxResult  = mail.MailOutboxResult
	MailNoticeAdd     = mail.MailNoticeAdd
	MailAnswer        = mail.MailAnswer
	AnswerRecipe      = mail.AnswerRecipe
	AnswerAttachment  = mail.AnswerAttachment
	MailAckPolicySet  = mail.MailAckPolicySet
	MailAckRelease    = mail.MailAckRelease
	MailAddressRemove = mail.MailAddressRemove
	MailboxRemove     = mail.MailboxRemove
	MailRuleRemove    = mail.MailRuleRemove

	// The outbox is the kernel's (kernel/outbox.go): several features queue mail.
	OutboxPayload = kernel.OutboxPayload
)

const (
	KindMailAddressAdd    = mail.KindMailAddressAdd
	KindMailRelaySet      = mail.KindMailRelaySet
	KindMailboxAdd        = mail.KindMailboxAdd
	KindMailRuleAdd       = mail.KindMailRuleAdd
	KindMailTemplateSet   = mail.KindMailTemplateSet
	KindMailIntake        = mail.KindMailIntake
	KindMailOutboxDone    = mail.KindMailOutboxDone
	KindMailNotice        = mail.KindMailNotice
	KindMailAnswer        = mail.KindMailAnswer
	KindMailAckPolicySet  = mail.KindMailAckPolicySet
	KindMailAckRelease    = mail.KindMailAckRelease
	KindMailAddressRemove = mail.KindMailAddressRemove
	KindMailboxRemove     = mail.KindMailboxRemove
	KindMailRuleRemove    = mail.KindMailRuleRemove

	AckAuto      = mail.AckAuto
	AckQualified = mail.AckQualified
	AckNever     = mail.AckNever

	OutboxQueued  = kernel.OutboxQueued
	OutboxSent    = kernel.OutboxSent
	OutboxFailed  = kernel.OutboxFailed
	OutboxBounced = kernel.OutboxBounced
	OutboxHeld    = kernel.OutboxHeld
)

var (
	MailTemplateModes = mail.MailTemplateModes
	ErrNoMailBridge   = mail.ErrNoMailBridge
)

// mailApplyHooks are the letters' apply code the mail intake runs: the
// registration a message makes, the documents and note of a reply.
func mailApplyHooks() mail.ApplyHooks[LetterRegister, LetterAttach] {
	return mail.ApplyHooks[LetterRegister, LetterAttach]{
		RegisterLetter: letters.ApplyRegister,
		Attach: func(a *kernel.Ctx, letterID string, d LetterAttach) error {
			d.LetterID = letterID
			_, err := letters.Attach(a, &d)
			return err
		},
		AddNote: letters.AddNote,
	}
}

// newMail makes the mail feature; its settings check their default
// entity and doctype with the letters' routing check.
func (s *Service) newMail() *mail.Mail {
	return mail.New(s.k, mail.Hooks{
		CheckRouting: func(ctx context.Context, a *Actor, errs FieldErrors, entityID, doctypeID string) {
			s.CheckRouting(ctx, a, errs, entityID, "", doctypeID, "", nil)
		},
	})
}

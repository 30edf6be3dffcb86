package mail

import "missive/appliance/kernel"

// Commands of the mail bridge. They are registered in apply.go.
const (
	KindMailAddressAdd  kernel.Kind = "mail.address.add"
	KindMailRelaySet    kernel.Kind = "mail.relay.set"
	KindMailboxAdd      kernel.Kind = "mail.mailbox.add"
	KindMailRuleAdd     kernel.Kind = "mail.rule.add"
	KindMailTemplateSet kernel.Kind = "mail.template.set"
	// KindMailIntake takes one message in: it registers a letter (or joins
	// an existing one), records the message as seen and queues the
	// acknowledgement, all in one transaction, so that a message is one
	// letter and one acknowledgement whatever the retries and crashes.
	KindMailIntake     kernel.Kind = "mail.intake"
	KindMailOutboxDone kernel.Kind = "mail.outbox.result"
	KindMailNotice     kernel.Kind = "mail.notice"
)

type MailAddressAdd struct {
	Address   string `json:"address"`
	EntityID  string `json:"entity_id"`
	DoctypeID string `json:"doctype_id"`
}

// MailRelaySet carries the relay's password: unlike a user's password it
// must be replayed to the relay, so it cannot be hashed. Apply keeps it out
// of the history entry.
type MailRelaySet struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Security    string `json:"security"`
	Username    string `json:"username"`
	Secret      string `json:"secret"`
	FromAddress string `json:"from_address"`
	FromName    string `json:"from_name"`
}

// MailboxAdd carries the mailbox's password or OAuth token; see MailRelaySet.
type MailboxAdd struct {
	ID         string `json:"id"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Security   string `json:"security"`
	Auth       string `json:"auth"`
	Username   string `json:"username"`
	Secret     string `json:"secret"`
	Folder     string `json:"folder"`
	DoneFolder string `json:"done_folder"`
}

type MailRuleAdd struct {
	ID        string `json:"id"`
	Position  int    `json:"position"`
	Recipient string `json:"recipient"`
	Keywords  string `json:"keywords"`
	EntityID  string `json:"entity_id"`
	DoctypeID string `json:"doctype_id"`
}

type MailTemplateSet struct {
	Mode    string `json:"mode"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// MailIntake is one message taken in. Exactly one of Letter (a new letter)
// and LetterID (a reply or bounce joining a letter) is set, or neither for a
// message that becomes no letter (an unmatched bounce). L and D are the
// letters' registration and attachment payloads (appliance.LetterRegister,
// appliance.LetterAttach): the mail package carries them to the letters'
// apply code (ApplyHooks) without importing it; the facade names the one
// instance used (appliance.MailIntake).
type MailIntake[L, D any] struct {
	Key         string                 `json:"key"`
	MessageID   string                 `json:"message_id"`
	Kind        string                 `json:"kind"`
	Source      string                 `json:"source"`
	FromAddress string                 `json:"from_address"`
	Subject     string                 `json:"subject"`
	NoAck       string                 `json:"no_ack"`
	Letter      *L                     `json:"letter,omitempty"`
	LetterID    string                 `json:"letter_id,omitempty"`
	Documents   []D                    `json:"documents,omitempty"`
	NoteID      string                 `json:"note_id,omitempty"`
	Note        string                 `json:"note,omitempty"`
	Outbox      []kernel.OutboxPayload `json:"outbox,omitempty"`
	// BounceOf names our outgoing message a delivery report is about.
	BounceOf string `json:"bounce_of,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// MailOutboxResult records the outcome of one send attempt.
type MailOutboxResult struct {
	ID       string `json:"id"`
	Status   string `json:"status"` // sent, queued (retry later) or failed
	Attempts int    `json:"attempts"`
	NextTry  string `json:"next_try"`
	Error    string `json:"error"`
}

type MailNoticeAdd struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Text string `json:"text"`
}

// KindMailAnswer queues an agent's answer by e-mail to a letter's sender.
const KindMailAnswer kernel.Kind = "mail.answer"

// MailAnswer is the answer queued; its Content is an AnswerRecipe in JSON:
// the bridge composes the message from it and the documents' blobs when it
// sends, so that attachments do not travel in the raft log.
type MailAnswer struct {
	Outbox kernel.OutboxPayload `json:"outbox"`
}

// AnswerRecipe is everything the answer's message is made of.
type AnswerRecipe struct {
	From        string             `json:"from"`
	FromName    string             `json:"from_name"`
	To          string             `json:"to"`
	Subject     string             `json:"subject"`
	Text        string             `json:"text"`
	InReplyTo   string             `json:"in_reply_to"`
	Date        string             `json:"date"` // TimeLayout
	Attachments []AnswerAttachment `json:"attachments"`
}

type AnswerAttachment struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	MIME   string `json:"mime"`
}

const (
	KindMailAckPolicySet kernel.Kind = "mail.ackpolicy.set"
	KindMailAckRelease   kernel.Kind = "mail.ack.release"
)

// Acknowledgement policies.
const (
	AckAuto      = "auto"
	AckQualified = "qualified"
	AckNever     = "never"
)

// MailAckPolicySet says when a doctype's letters are acknowledged
// (DoctypeID "" sets the tenant's default).
type MailAckPolicySet struct {
	DoctypeID string `json:"doctype_id"`
	Policy    string `json:"policy"`
}

// MailAckRelease queues a held acknowledgement with its text, rendered
// once the letter was qualified.
type MailAckRelease struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Content string `json:"content"`
}

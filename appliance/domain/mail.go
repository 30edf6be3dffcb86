package domain

// MailAckPolicy is when a doctype's letters are acknowledged.
type MailAckPolicy struct {
	DoctypeID string `json:"doctype_id" doc:"Type de courrier; vide: valeur par défaut de la commune"`
	Policy    string `json:"policy" doc:"auto, qualified ou never"`
}

// MailAddress is an address that delivers to a tenant, with the entity and
// doctype its mail goes to when no routing rule matches.
type MailAddress struct {
	Address   string `json:"address"`
	TenantID  string `json:"tenant_id"`
	EntityID  string `json:"entity_id,omitempty"`
	DoctypeID string `json:"doctype_id,omitempty"`
	CreatedAt string `json:"created_at"`
}

// MailRelay is a tenant's outgoing SMTP relay.
type MailRelay struct {
	TenantID    string `json:"tenant_id"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Security    string `json:"security"` // starttls, tls or plain
	Username    string `json:"username,omitempty"`
	Secret      string `json:"-"`
	FromAddress string `json:"from_address,omitempty"`
	FromName    string `json:"from_name,omitempty"`
	UpdatedAt   string `json:"updated_at"`
}

// Mailbox is an IMAP folder polled for a tenant.
type Mailbox struct {
	ID         string `json:"id"`
	TenantID   string `json:"tenant_id"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Security   string `json:"security"` // tls, starttls or plain
	Auth       string `json:"auth"`     // password or xoauth2
	Username   string `json:"username"`
	Secret     string `json:"-"`
	Folder     string `json:"folder"`
	DoneFolder string `json:"done_folder"`
	Disabled   bool   `json:"disabled"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

// MailRule routes mail by recipient address and/or keywords.
type MailRule struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	Position  int    `json:"position"`
	Recipient string `json:"recipient,omitempty"`
	Keywords  string `json:"keywords,omitempty"` // comma-separated
	EntityID  string `json:"entity_id,omitempty"`
	DoctypeID string `json:"doctype_id,omitempty"`
	CreatedAt string `json:"created_at"`
}

// MailTemplate is a tenant's text for one kind of outgoing mail.
type MailTemplate struct {
	TenantID  string `json:"tenant_id"`
	Mode      string `json:"mode"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	UpdatedAt string `json:"updated_at"`
}

// MailSeen records one message taken in and what it became.
type MailSeen struct {
	TenantID    string `json:"tenant_id"`
	Key         string `json:"key"`
	MessageID   string `json:"message_id,omitempty"`
	LetterID    string `json:"letter_id,omitempty"`
	Kind        string `json:"kind"` // letter, reply, bounce
	Source      string `json:"source"`
	FromAddress string `json:"from_address,omitempty"`
	Subject     string `json:"subject,omitempty"`
	NoAck       string `json:"no_ack,omitempty"` // why no acknowledgement was sent
	ReceivedAt  string `json:"received_at"`
}

// OutboxEntry is one message to send through the tenant's relay.
type OutboxEntry struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	LetterID  string `json:"letter_id,omitempty"`
	Kind      string `json:"kind"` // ack, answer, notice
	MessageID string `json:"message_id"`
	MailFrom  string `json:"mail_from"`
	RcptTo    string `json:"rcpt_to"`
	Subject   string `json:"subject"`
	Content   string `json:"-"`
	Status    string `json:"status"` // queued, sent, failed, bounced
	Attempts  int    `json:"attempts"`
	NextTry   string `json:"next_try,omitempty"`
	LastError string `json:"last_error,omitempty"`
	CreatedAt string `json:"created_at"`
	SentAt    string `json:"sent_at,omitempty"`
}

// MailNotice is something the administrator must see (a message left in a
// mailbox, a relay that refuses us).
type MailNotice struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	Key       string `json:"key"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
}

// Package mailbridge turns e-mail into letters and sends the mail letters
// cause: an SMTP listener for the tenants' addresses, an IMAP poller for
// their mailboxes, MIME → letter, acknowledgements and notices through a
// durable outbox, and loop protection. It writes only through
// appliance.Service; see DESIGN.md for its invariants.
package mailbridge

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
)

// Options tunes the bridge; the zero value of a field means its default.
type Options struct {
	// MaxMessageBytes bounds one message: SMTP answers 552 above it, the
	// IMAP poller leaves it in place and tells the administrator.
	MaxMessageBytes int64
	// AckPerHour bounds acknowledgements to one address per hour;
	// AckPerHourTotal bounds them per tenant, to all senders together, so
	// that forged senders cannot make the town a relay of spam.
	AckPerHour, AckPerHourTotal int
	// MaxConns and MaxConnsPerAddr bound the SMTP connections open at
	// once, in all and from one client address: beyond, 421.
	MaxConns, MaxConnsPerAddr int
	// IntakeMemory bounds the bytes of the messages being turned into
	// letters at once (SMTP and IMAP); others wait, spooled on disk, up to
	// BusyWait, then get a temporary failure (451 4.3.1).
	IntakeMemory int64
	BusyWait     time.Duration
	// SpoolDir holds SMTP messages while they wait ("": the system's
	// temporary directory).
	SpoolDir string
	// Limits bound the MIME structure of a message: parts beyond them are
	// not turned into documents (the original .eml keeps them).
	Limits ParseLimits
	// RetryBase is the first retry delay of a send; it doubles up to
	// RetryMax. MaxAttempts sends later, the message is failed.
	RetryBase   time.Duration
	RetryMax    time.Duration
	MaxAttempts int
	// SendInterval is how often the outbox is looked at without a kick.
	SendInterval time.Duration
	// PollInterval is how often a mailbox without IDLE is polled, and how
	// long an IDLE waits before looking again anyway.
	PollInterval time.Duration
	// ConfigInterval is how often the list of mailboxes is re-read.
	ConfigInterval time.Duration
	// ReconnectMax bounds the backoff between reconnections to a mailbox.
	ReconnectMax time.Duration
	// Hostname is the SMTP greeting name.
	Hostname string
	// TLS, when set, offers STARTTLS on the SMTP listener.
	TLS *tls.Config
	// RelayTLS and IMAPTLS verify the relay's and mailboxes' certificates
	// (nil: the system roots).
	RelayTLS *tls.Config
	IMAPTLS  *tls.Config
	// Leader says whether this node runs the effects (sending, polling);
	// nil means always.
	Leader func() bool
	// LeaderChanged, when set, returns a channel closed at the next change
	// of leadership (cluster.Node.LeaderChanged): the sender and the
	// pollers start on a new leader at once, not at their next tick.
	LeaderChanged func() <-chan struct{}
}

// leaderChanged is the channel to wait on besides a loop's ticker; nil
// (never ready) without a cluster.
func (o *Options) leaderChanged() <-chan struct{} {
	if o.LeaderChanged == nil {
		return nil
	}
	return o.LeaderChanged()
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 50 << 20
	}
	if o.AckPerHour <= 0 {
		o.AckPerHour = 5
	}
	if o.AckPerHourTotal <= 0 {
		o.AckPerHourTotal = 100
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 50
	}
	if o.MaxConnsPerAddr <= 0 {
		o.MaxConnsPerAddr = 10
	}
	if o.IntakeMemory <= 0 {
		o.IntakeMemory = 100 << 20
	}
	def(&o.BusyWait, 2*time.Minute)
	o.Limits = o.Limits.orDefaults()
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	def(&o.RetryBase, time.Minute)
	def(&o.RetryMax, 6*time.Hour)
	def(&o.SendInterval, 5*time.Second)
	def(&o.PollInterval, time.Minute)
	def(&o.ConfigInterval, 10*time.Second)
	def(&o.ReconnectMax, 5*time.Minute)
	if o.Hostname == "" {
		o.Hostname = "missive"
	}
	if o.Leader == nil {
		o.Leader = func() bool { return true }
	}
}

// service is what the bridge needs of the appliance. A request made by a
// user (an administrator's test, a postal acknowledgement, SMTP AUTH) goes
// through the methods that take the *appliance.Actor and check it; the
// bridge's own jobs (intake, outbox, pollers) act as the system actor and
// read through System(), which says so at each call. *appliance.Service
// implements it.
type service interface {
	// For a user.
	Authenticate(ctx context.Context, tenant, login, password, addr string) (*appliance.Actor, error)
	Letter(ctx context.Context, a *appliance.Actor, id string) (*domain.Letter, error)
	Contact(ctx context.Context, a *appliance.Actor, id string) (*domain.Contact, error)
	Attach(ctx context.Context, a *appliance.Actor, id, documentID string, u appliance.Upload) (*domain.Document, error)
	MailSettings(ctx context.Context, a *appliance.Actor) (*appliance.MailSettings, error)
	Mailbox(ctx context.Context, a *appliance.Actor, id string) (*domain.Mailbox, error)
	MailboxToTry(ctx context.Context, a *appliance.Actor, id string, in appliance.MailboxInput) (*domain.Mailbox, error)
	MailRelayToTry(ctx context.Context, a *appliance.Actor, in appliance.MailRelayInput) (*domain.MailRelay, error)

	// For the bridge's own jobs.
	System() appliance.SystemReader
	SystemActor(ctx context.Context, tenant string) (*appliance.Actor, error)
	IntakeMail(ctx context.Context, a *appliance.Actor, in appliance.MailIntakeInput, uploads ...appliance.Upload) (*appliance.MailIntakeResult, error)
	LetterFields(ctx context.Context, tenant string, l *domain.Letter) (drafts.Fields, error)
	ReleaseMailAck(ctx context.Context, tenant string, r appliance.MailAckRelease) error
	RecordOutboxResult(ctx context.Context, tenant string, r appliance.MailOutboxResult) error
	AddMailNotice(ctx context.Context, tenant, key, text string) error
	OpenSecret(purpose, stored string) (string, error)
}

var _ service = (*appliance.Service)(nil)

// Bridge is the mail bridge of one node.
type Bridge struct {
	svc service
	// now is the Service's clock, which tests replace.
	now  func() time.Time
	log  *slog.Logger
	opt  Options
	kick chan struct{}
	// conns and mem are the SMTP listener's and the intake's caps
	// (limits.go).
	conns *connLimits
	mem   *memBudget

	mu      sync.Mutex
	pollers map[string]*poller // by mailbox id
	warned  map[string]bool    // too-large messages already logged

	// Progress counters, so that a test waits for "the sender looked
	// again" or "the folder was read again" instead of for a duration.
	sendPasses   atomic.Uint64 // sender passes over the outbox
	folderPasses atomic.Uint64 // reads of a mailbox's folder, any mailbox
	idling       atomic.Int64  // sessions in IDLE now
	// Bytes of the messages being parsed and registered now, and their
	// most: what the memory budget bounds.
	parsing, parsingPeak atomic.Int64
}

// New builds a bridge; Run starts its background work.
func New(svc *appliance.Service, log *slog.Logger, opt Options) *Bridge {
	if opt.MaxMessageBytes <= 0 {
		// The original .eml is kept as a document: it must fit in one.
		opt.MaxMessageBytes = svc.MaxUpload
	}
	opt.defaults()
	return &Bridge{svc: svc, now: func() time.Time { return svc.Now() }, log: log, opt: opt, kick: make(chan struct{}, 1), pollers: map[string]*poller{},
		conns: newConnLimits(opt.MaxConns, opt.MaxConnsPerAddr), mem: newMemBudget(opt.IntakeMemory)}
}

// Kick wakes the sender: something was queued.
func (b *Bridge) Kick() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Run sends the outbox and polls the mailboxes until ctx ends, on the leader
// only.
func (b *Bridge) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.sendLoop(ctx) }()
	go func() { defer wg.Done(); b.superviseMailboxes(ctx) }()
	wg.Wait()
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

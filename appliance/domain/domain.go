// Package domain holds the correspondence types (tenants, entities, users,
// contacts, doctypes, letters, documents, notes, history) and the small rules
// that belong to a value alone. Rules that need the store live in appliance.
package domain

import (
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on a minimal VM without tzdata
)

// Role is what a user may do in a tenant.
type Role string

const (
	RoleAdmin    Role = "admin"    // administrateur: everything in the tenant
	RoleMailroom Role = "mailroom" // service courrier: registers and qualifies every letter
	RoleAgent    Role = "agent"    // agent: works on the letters of their entities
	RoleElected  Role = "elected"  // élu: reads the letters of their entities, changes nothing
)

// Roles lists the roles in the order the UI offers them.
var Roles = []Role{RoleAdmin, RoleMailroom, RoleAgent, RoleElected}

func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Category is the direction of a letter; it is the letter code in the number.
type Category string

const (
	Incoming Category = "incoming" // arrivée, A
	Outgoing Category = "outgoing" // départ, D
	Internal Category = "internal" // interne, I
)

// Code is the letter of the registration number.
func (c Category) Code() string {
	switch c {
	case Incoming:
		return "A"
	case Outgoing:
		return "D"
	case Internal:
		return "I"
	}
	return ""
}

func (c Category) Valid() bool { return c.Code() != "" }

// Status is where a letter stands in its processing.
type Status string

const (
	StatusNew        Status = "new"         // à qualifier
	StatusInProgress Status = "in_progress" // en cours de traitement
	StatusClosed     Status = "closed"      // clos
)

func (s Status) Valid() bool {
	return s == StatusNew || s == StatusInProgress || s == StatusClosed
}

// Mode is the legal meaning of the administration's silence for a doctype.
type Mode string

const (
	ModeNormal Mode = "normal"
	ModeSVA    Mode = "sva" // silence vaut acceptation
	ModeSVR    Mode = "svr" // silence vaut rejet
)

func (m Mode) Valid() bool { return m == ModeNormal || m == ModeSVA || m == ModeSVR }

// Channel is how a letter reached the town hall.
type Channel string

const (
	ChannelPaper Channel = "paper"
	ChannelEmail Channel = "email"
	ChannelWeb   Channel = "web"
)

func (c Channel) Valid() bool { return c == ChannelPaper || c == ChannelEmail || c == ChannelWeb }

// Priority orders the work of a service.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

func (p Priority) Valid() bool {
	return p == PriorityLow || p == PriorityNormal || p == PriorityHigh || p == PriorityUrgent
}

// DateLayout is how civil dates (letter date, arrival, due date) are written
// everywhere: in the store, the API and the snapshot. They carry no time zone
// on purpose: a letter received on 3 March is due by a date, not an instant.
const DateLayout = "2006-01-02"

// TimeLayout is how instants are written in the store: UTC, fixed width, so
// that text order is time order in every dialect.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Paris is the legal time of French town halls: years of registration numbers
// and "today" for due dates are counted there.
var Paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is linked in: this cannot fail
	}
	return loc
}

type Tenant struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	AlsaceMoselle bool   `json:"alsace_moselle" doc:"Jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre)"`
	CreatedAt     string `json:"created_at"`
}

type Entity struct {
	ID        string `json:"id"`
	ParentID  string `json:"parent_id,omitempty"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Email     string `json:"email,omitempty"`
	CreatedAt string `json:"created_at"`
}

// Membership places a user in an entity; a manager also sees its sub-entities.
type Membership struct {
	EntityID string `json:"entity_id"`
	Manager  bool   `json:"manager"`
}

type User struct {
	ID        string       `json:"id"`
	Login     string       `json:"login"`
	Name      string       `json:"name"`
	Email     string       `json:"email,omitempty"`
	Role      Role         `json:"role"`
	Disabled  bool         `json:"disabled"`
	Entities  []Membership `json:"entities"`
	CreatedAt string       `json:"created_at"`
	// PasswordHash never leaves the process.
	PasswordHash string `json:"-"`
}

// Token is an API token as its owner and the administrators see it: the
// token itself is shown once, at its creation, and only its hash is kept.
type Token struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	UserLogin string `json:"user_login"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	// ExpiresAt is the instant it stops working; "" never.
	ExpiresAt string `json:"expires_at,omitempty"`
	Revoked   bool   `json:"revoked"`
}

// Live says whether the token still opens the API at now (TimeLayout).
func (t Token) Live(now string) bool {
	return !t.Revoked && (t.ExpiresAt == "" || t.ExpiresAt > now)
}

type ContactKind string

const (
	ContactPerson       ContactKind = "person"
	ContactOrganization ContactKind = "organization"
)

type Contact struct {
	ID           string      `json:"id"`
	Kind         ContactKind `json:"kind"`
	Civility     string      `json:"civility,omitempty"`
	FirstName    string      `json:"first_name,omitempty"`
	LastName     string      `json:"last_name,omitempty"`
	Organization string      `json:"organization,omitempty"`
	Email        string      `json:"email,omitempty"`
	Phone        string      `json:"phone,omitempty"`
	Address      string      `json:"address,omitempty"`
	Postcode     string      `json:"postcode,omitempty"`
	City         string      `json:"city,omitempty"`
	Country      string      `json:"country,omitempty"`
	CreatedAt    string      `json:"created_at"`
}

// DisplayName is the name shown in lists and indexed for search.
func (c *Contact) DisplayName() string {
	name := c.LastName
	if c.FirstName != "" {
		if name != "" {
			name = c.FirstName + " " + name
		} else {
			name = c.FirstName
		}
	}
	switch {
	case name != "" && c.Organization != "":
		return name + " (" + c.Organization + ")"
	case name != "":
		return name
	case c.Organization != "":
		return c.Organization
	}
	return c.Email
}

type Doctype struct {
	ID           string `json:"id"`
	Code         string `json:"code"`
	Label        string `json:"label"`
	DelayDays    int    `json:"delay_days" doc:"Délai de traitement en jours ouvrés"`
	RemindBefore int    `json:"remind_before" doc:"Relance N jours ouvrés avant la date limite"`
	RemindAfter  int    `json:"remind_after" doc:"Relance N jours ouvrés après la date limite"`
	Mode         Mode   `json:"mode"`
	// RetentionYears is the DUA (durée d'utilité administrative), counted
	// from the letter's closing (RetentionStart); 0 when not set.
	RetentionYears   int         `json:"retention_years" doc:"Durée d'utilité administrative (DUA) en années, à compter de la clôture du courrier; 0: non renseignée"`
	FinalDisposition Disposition `json:"final_disposition" doc:"Sort final à l'échéance de la DUA: conserver, detruire, trier; vide: non renseigné"`
	CreatedAt        string      `json:"created_at"`
}

// MaxRetentionYears bounds a doctype's DUA.
const MaxRetentionYears = 100

// RetentionStart is when a doctype's DUA starts running: one rule for every
// doctype, the letter's closing.
const RetentionStart = "à la clôture du courrier"

// Disposition is the sort final of a doctype's letters once their DUA has
// run out: what the archives do with them.
type Disposition string

const (
	DispositionNone    Disposition = ""          // not set
	DispositionKeep    Disposition = "conserver" // conservation définitive
	DispositionDestroy Disposition = "detruire"  // destruction
	DispositionSort    Disposition = "trier"     // tri: partly kept, partly destroyed
)

// Dispositions lists the set values in the order the UI offers them.
var Dispositions = []Disposition{DispositionKeep, DispositionDestroy, DispositionSort}

func (d Disposition) Valid() bool {
	return d == DispositionNone || d == DispositionKeep || d == DispositionDestroy || d == DispositionSort
}

// Copy is one recipient "en copie": a user or a whole entity.
type Copy struct {
	Kind string `json:"kind"` // "user" or "entity"
	Ref  string `json:"ref"`
}

type Letter struct {
	ID           string   `json:"id"`
	Number       string   `json:"number"`
	Category     Category `json:"category"`
	Subject      string   `json:"subject"`
	Body         string   `json:"body,omitempty"`
	LetterDate   string   `json:"letter_date,omitempty"`
	ArrivalDate  string   `json:"arrival_date"`
	Priority     Priority `json:"priority"`
	SenderID     string   `json:"sender_id,omitempty"`
	RecipientID  string   `json:"recipient_id,omitempty"`
	EntityID     string   `json:"entity_id,omitempty"`
	AssigneeID   string   `json:"assignee_id,omitempty"`
	DoctypeID    string   `json:"doctype_id,omitempty"`
	DueDate      string   `json:"due_date,omitempty"`
	Status       Status   `json:"status"`
	Confidential bool     `json:"confidential"`
	Channel      Channel  `json:"channel"`
	Copies       []Copy   `json:"copies"`
	CreatedAt    string   `json:"created_at"`
	CreatedBy    string   `json:"created_by"`
	UpdatedAt    string   `json:"updated_at"`
	ClosedAt     string   `json:"closed_at,omitempty"`

	// Filled by reads for display; not stored on the letter row.
	SenderName    string `json:"sender_name,omitempty"`
	RecipientName string `json:"recipient_name,omitempty"`
	EntityName    string `json:"entity_name,omitempty"`
	AssigneeName  string `json:"assignee_name,omitempty"`
	DoctypeLabel  string `json:"doctype_label,omitempty"`
}

// Overdue says whether the letter is late on the given civil date.
func (l *Letter) Overdue(today string) bool {
	return l.Status != StatusClosed && l.DueDate != "" && l.DueDate < today
}

type DocRole string

const (
	DocMain       DocRole = "main"
	DocAttachment DocRole = "attachment"
	DocDraft      DocRole = "draft"
)

func (r DocRole) Valid() bool { return r == DocMain || r == DocAttachment || r == DocDraft }

type Document struct {
	ID        string    `json:"id"`
	LetterID  string    `json:"letter_id"`
	Role      DocRole   `json:"role"`
	Name      string    `json:"name"`
	CreatedAt string    `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Versions  []Version `json:"versions"`
}

// Version is one immutable content of a document, a blob named by its SHA-256.
type Version struct {
	Version   int    `json:"version"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MIME      string `json:"mime"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
}

type Note struct {
	ID        string   `json:"id"`
	LetterID  string   `json:"letter_id"`
	AuthorID  string   `json:"author_id"`
	Author    string   `json:"author,omitempty"`
	Text      string   `json:"text"`
	Entities  []string `json:"entities,omitempty" doc:"Entités autorisées; vide: note visible de tous"`
	CreatedAt string   `json:"created_at"`
}

type Link struct {
	LetterID  string `json:"letter_id"`
	Number    string `json:"number"`
	Subject   string `json:"subject"`
	CreatedAt string `json:"created_at"`
}

// HistoryEntry is one applied command, chained to the previous one by hash.
type HistoryEntry struct {
	Seq      int64  `json:"seq"`
	TenantID string `json:"tenant_id"`
	At       string `json:"at"`
	ActorID  string `json:"actor_id"`
	Kind     string `json:"kind"`
	LetterID string `json:"letter_id,omitempty"`
	Summary  string `json:"summary"`
	Payload  string `json:"payload"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Package domain holds the correspondence types (tenants, entities, users,
// contacts, doctypes, letters, documents, notes, history) and the small rules
// that belong to a value alone. Rules that need the store live in appliance.
package domain

import (
	"strings"
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

// Tenant is a commune (or an intercommunal body). Its name and contact
// details head its acknowledgements and drafts, and stand in for those a
// service leaves empty.
type Tenant struct {
	ID            string `json:"id"`
	Name          string `json:"name" doc:"Nom de la commune tel que l'écrivent ses courriers, ex. « Ville de Saint-Martin »"`
	AlsaceMoselle bool   `json:"alsace_moselle" doc:"Jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre)"`
	Address       string `json:"address" doc:"Adresse postale de la mairie, sur plusieurs lignes"`
	Phone         string `json:"phone" doc:"Téléphone de l'accueil"`
	Email         string `json:"email" doc:"Adresse électronique de contact"`
	Website       string `json:"website" doc:"Site internet"`
	CreatedAt     string `json:"created_at"`
}

type Entity struct {
	ID       string `json:"id"`
	ParentID string `json:"parent_id,omitempty"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	// Address and Phone, like Email, are the service's own: empty ones
	// are its parent's, then the commune's, on acknowledgements.
	Address   string `json:"address,omitempty" doc:"Adresse postale du service, sur plusieurs lignes; vide: celle de l'entité parente, puis de la commune"`
	Phone     string `json:"phone,omitempty" doc:"Téléphone du service; vide: celui de l'entité parente, puis de la commune"`
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
	ID    string `json:"id"`
	Code  string `json:"code"`
	Label string `json:"label"`
	// DelayDays is the delay counted in DelayUnit: days or months despite
	// its name, kept for the API's sake.
	DelayDays    int       `json:"delay_days" doc:"Délai de traitement, compté dans l'unité delay_unit; 0: pas de date limite"`
	DelayUnit    DelayUnit `json:"delay_unit" doc:"Unité du délai: working_days (jours ouvrés), calendar_days (jours calendaires) ou months (mois)"`
	RemindBefore int       `json:"remind_before" doc:"Relance N jours ouvrés avant la date limite"`
	RemindAfter  int       `json:"remind_after" doc:"Relance N jours ouvrés après la date limite"`
	Mode         Mode      `json:"mode"`
	// RetentionYears is the DUA (durée d'utilité administrative), counted
	// from the letter's closing (RetentionStart); 0 when not set.
	RetentionYears   int         `json:"retention_years" doc:"Durée d'utilité administrative (DUA) en années, à compter de la clôture du courrier; 0: non renseignée"`
	FinalDisposition Disposition `json:"final_disposition" doc:"Sort final à l'échéance de la DUA: conserver, detruire, trier; vide: non renseigné"`
	CreatedAt        string      `json:"created_at"`
}

// DelayUnit is what a doctype's delay counts.
type DelayUnit string

const (
	// UnitWorkingDays skips weekends and public holidays: a service's
	// own processing time.
	UnitWorkingDays DelayUnit = "working_days"
	// UnitCalendarDays counts every day.
	UnitCalendarDays DelayUnit = "calendar_days"
	// UnitMonths ends on the same day of the month, or on the month's last
	// day when it has none: how the law counts the delays after which
	// silence is worth a decision (CRPA L231-1, L231-4).
	UnitMonths DelayUnit = "months"
)

// DelayUnits lists the units in the order the UI offers them.
var DelayUnits = []DelayUnit{UnitWorkingDays, UnitCalendarDays, UnitMonths}

func (u DelayUnit) Valid() bool {
	return u == UnitWorkingDays || u == UnitCalendarDays || u == UnitMonths
}

// SilenceMonths is the delay after which the administration's silence on
// a request is worth acceptance, or refusal where a text says so, when no
// text sets another: two months (CRPA L231-1 and L231-4). SVA and SVR
// doctypes get it unless their delay is given.
const SilenceMonths = 2

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

// PiecesRequest is a request found incomplete (CRPA L114-5): the pieces
// and information asked of its sender, the date they are due by, and the
// day they came. While they are awaited, the delay of an SVA or normal
// doctype does not run, and that of an SVR doctype is suspended until the
// deadline, or until they come if sooner.
type PiecesRequest struct {
	LetterID string `json:"letter_id"`
	Missing  string `json:"missing" doc:"Pièces et informations manquantes, une par ligne"`
	Deadline string `json:"deadline" doc:"Date limite pour les produire, AAAA-MM-JJ"`
	AskedOn  string `json:"asked_on" doc:"Date à laquelle la demande a été déclarée incomplète"`
	AskedBy  string `json:"asked_by"`
	// DueBefore is the letter's due date when the pieces were asked.
	DueBefore  string `json:"due_before,omitempty" doc:"Date limite du courrier avant la demande de pièces"`
	ReceivedOn string `json:"received_on,omitempty" doc:"Date de réception des pièces; vide tant qu'elles sont attendues"`
}

// Awaited says whether the pieces are still awaited.
func (p *PiecesRequest) Awaited() bool { return p != nil && p.ReceivedOn == "" }

// MissingList is the pieces asked, one per non-empty line.
func (p *PiecesRequest) MissingList() []string {
	var out []string
	for _, l := range strings.Split(p.Missing, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
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
	// Digest is the SHA-256 of the letter row as this entry's command left
	// it ("" for no letter, "-" for a letter no longer there); Sig is the
	// HMAC of Hash with the history key, "" for entries written before
	// history signing.
	Digest string `json:"digest,omitempty"`
	Sig    string `json:"sig,omitempty"`
}

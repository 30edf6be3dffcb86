package appliance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
	"missive/appliance/workdays"
)

// RegisterInput registers a letter ("enregistrer un courrier").
type RegisterInput struct {
	Category     domain.Category `json:"category"`
	Subject      string          `json:"subject"`
	Body         string          `json:"body,omitempty"`
	LetterDate   string          `json:"letter_date,omitempty" doc:"Date du courrier, AAAA-MM-JJ"`
	ArrivalDate  string          `json:"arrival_date,omitempty" doc:"Date d'arrivée, AAAA-MM-JJ; aujourd'hui par défaut"`
	Priority     domain.Priority `json:"priority,omitempty"`
	Sender       *ContactInput   `json:"sender,omitempty" doc:"Expéditeur: un contact existant (id), retrouvé par e-mail, ou créé"`
	RecipientID  string          `json:"recipient_id,omitempty"`
	EntityID     string          `json:"entity_id,omitempty"`
	AssigneeID   string          `json:"assignee_id,omitempty"`
	DoctypeID    string          `json:"doctype_id,omitempty"`
	Confidential bool            `json:"confidential,omitempty"`
	Channel      domain.Channel  `json:"channel,omitempty"`
	Copies       []domain.Copy   `json:"copies,omitempty"`
	// wrap, set by the mail intake only, proposes the stamped registration
	// inside another command (see mail.go).
	wrap func(*LetterRegister) (Kind, any, error)
}

// Upload is a document that arrives with a request; its content is stored
// as a blob before the command that references it is proposed.
type Upload struct {
	Name string
	Role domain.DocRole
	Body io.Reader
}

// maxYearsAhead bounds how far ahead of today a letter may be said to arrive.
const maxYearsAhead = 5

// DueDate computes the due date of a letter of this doctype arriving then.
func (s *Service) DueDate(t *domain.Tenant, d *domain.Doctype, arrival string) string {
	return DueDate(s.k.Calendar(t), d, arrival)
}

// DueDate is the due date of a letter of doctype d received on arrival
// (AAAA-MM-JJ), "" when the doctype sets no delay: in working days of the
// tenant's calendar, in calendar days, or in months, ending on the same day
// of the month or on the last day of a shorter month. For an SVA or SVR
// doctype it is the day the implicit decision arises.
func DueDate(cal workdays.Calendar, d *domain.Doctype, arrival string) string {
	if d == nil || d.DelayDays <= 0 {
		return ""
	}
	if !kernel.ValidDate(arrival) {
		return ""
	}
	at, _ := time.Parse(domain.DateLayout, arrival)
	switch d.DelayUnit {
	case domain.UnitMonths:
		at = workdays.AddMonths(at, d.DelayDays)
	case domain.UnitCalendarDays:
		at = workdays.AddDays(at, d.DelayDays)
	default:
		at = cal.AddWorkingDays(at, d.DelayDays)
	}
	if at.Year() > 9999 {
		return ""
	}
	return at.Format(domain.DateLayout)
}

// checkRouting validates the fields shared by registration and qualification.
func (s *Service) checkRouting(ctx context.Context, a *Actor, errs FieldErrors, entityID, assigneeID, doctypeID, recipientID string, copies []domain.Copy) *domain.Doctype {
	r := s.reader()
	t := a.TenantID()
	if entityID != "" {
		if _, err := r.Entity(ctx, t, entityID); err != nil {
			errs["entity_id"] = "entité inconnue"
		}
	}
	if assigneeID != "" {
		if u, err := r.User(ctx, t, assigneeID); err != nil || u.Disabled {
			errs["assignee_id"] = "destinataire inconnu ou désactivé"
		}
	}
	if recipientID != "" {
		if _, err := r.Contact(ctx, t, recipientID); err != nil {
			errs["recipient_id"] = "contact inconnu"
		}
	}
	var dt *domain.Doctype
	if doctypeID != "" {
		d, err := r.Doctype(ctx, t, doctypeID)
		if err != nil {
			errs["doctype_id"] = "type de courrier inconnu"
		}
		dt = d
	}
	if len(copies) > 100 {
		errs["copies"] = "100 copies au plus"
	}
	// A copy twice would break the copies' primary key at apply time.
	seen := map[domain.Copy]bool{}
	for _, c := range copies {
		if seen[c] {
			errs["copies"] = "copie en double"
		}
		seen[c] = true
		switch c.Kind {
		case "user":
			if _, err := r.User(ctx, t, c.Ref); err != nil {
				errs["copies"] = "utilisateur en copie inconnu"
			}
		case "entity":
			if _, err := r.Entity(ctx, t, c.Ref); err != nil {
				errs["copies"] = "entité en copie inconnue"
			}
		default:
			errs["copies"] = "une copie est un utilisateur (user) ou une entité (entity)"
		}
	}
	return dt
}

// RegisterLetter validates, stamps (id, registration number, due date) and
// registers a letter with its documents.
func (s *Service) RegisterLetter(ctx context.Context, a *Actor, in RegisterInput, uploads ...Upload) (*domain.Letter, error) {
	if err := kernel.CanWrite(a); err != nil {
		return nil, err
	}
	now := s.Now()
	errs := FieldErrors{}
	checkRegisterFields(&in, now, errs)
	dt := s.checkRouting(ctx, a, errs, in.EntityID, in.AssigneeID, in.DoctypeID, in.RecipientID, in.Copies)
	p := LetterRegister{
		ID: NewID(), Category: string(in.Category), Subject: in.Subject, Body: in.Body, LetterDate: in.LetterDate,
		ArrivalDate: in.ArrivalDate, Priority: string(in.Priority), RecipientID: in.RecipientID, EntityID: in.EntityID,
		AssigneeID: in.AssigneeID, DoctypeID: in.DoctypeID, Confidential: in.Confidential, Channel: string(in.Channel),
		Status: string(domain.StatusNew), Copies: []CopyPayload{},
	}
	for _, c := range in.Copies {
		p.Copies = append(p.Copies, CopyPayload{Kind: c.Kind, Ref: c.Ref})
	}
	if in.EntityID != "" || in.AssigneeID != "" {
		p.Status = string(domain.StatusInProgress)
	}
	if in.Sender != nil {
		if err := s.resolveSender(ctx, a, in.Sender, &p, errs); err != nil {
			return nil, err
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	p.DueDate = s.DueDate(a.Tenant, dt, in.ArrivalDate)
	for _, u := range uploads {
		d, err := s.storeUpload(u, "")
		if err != nil {
			return nil, err
		}
		p.Documents = append(p.Documents, *d)
	}
	// Numbers are per registration year, in Paris time.
	p.Year = now.In(domain.Paris).Year()
	return s.numberAndCommit(ctx, a, &in, &p)
}

// checkRegisterFields checks the letter's own fields (category, subject,
// dates, priority, channel) into errs and fills the defaults the form may
// leave empty; routing and sender are checked against the store apart.
func checkRegisterFields(in *RegisterInput, now time.Time, errs FieldErrors) {
	if !in.Category.Valid() {
		errs["category"] = "incoming, outgoing ou internal"
	}
	in.Subject = strings.TrimSpace(in.Subject)
	kernel.CheckLen(errs, "subject", in.Subject, 500, true)
	kernel.CheckLen(errs, "body", in.Body, 1<<20, false)
	if in.LetterDate != "" && !kernel.ValidDate(in.LetterDate) {
		errs["letter_date"] = "date invalide (AAAA-MM-JJ)"
	}
	today := now.In(domain.Paris).Format(domain.DateLayout)
	switch {
	case in.ArrivalDate == "":
		in.ArrivalDate = today
	case !kernel.ValidDate(in.ArrivalDate):
		errs["arrival_date"] = "date invalide (AAAA-MM-JJ)"
	case in.ArrivalDate > now.In(domain.Paris).AddDate(maxYearsAhead, 0, 0).Format(domain.DateLayout):
		// A date years ahead is a typing slip whose due date would run from
		// then. A nearer one is left to the agent: a counter receipt stamped
		// for the next opening day, a deadline worked out in advance.
		errs["arrival_date"] = fmt.Sprintf("date d'arrivée invraisemblable: plus de %d ans après aujourd'hui", maxYearsAhead)
	}
	if in.Priority == "" {
		in.Priority = domain.PriorityNormal
	}
	if !in.Priority.Valid() {
		errs["priority"] = "low, normal, high ou urgent"
	}
	if in.Channel == "" {
		in.Channel = domain.ChannelPaper
	}
	if !in.Channel.Valid() {
		errs["channel"] = "paper, email ou web"
	}
}

// numberAndCommit stamps the registration number and commits the letter,
// retrying when another site took the number first.
func (s *Service) numberAndCommit(ctx context.Context, a *Actor, in *RegisterInput, p *LetterRegister) (*domain.Letter, error) {
	for attempt := 0; ; attempt++ {
		// Stamped and queued under the numbering lock, committed outside
		// it: registrations in flight overlap (numbering.go).
		wait, err := s.stampAndQueue(ctx, a, in, p)
		if err != nil {
			return nil, err
		}
		v, err := wait()
		// A follower's stamp is refused by the leader when another site
		// took the number first; the refusal says the next one, so a
		// retry fails again only if yet another site beat it to that.
		if errors.Is(err, kernel.ErrNumberTaken) && attempt < 20 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("register letter %s: %w", p.Number, err)
		}
		l := v.(*domain.Letter)
		s.Log.Info("letter registered", "tenant", a.TenantID(), "letter", l.Number, "id", l.ID, "actor", a.User.Login)
		return l, nil
	}
}

func (s *Service) resolveSender(ctx context.Context, a *Actor, in *ContactInput, p *LetterRegister, errs FieldErrors) error {
	r := s.reader()
	if in.ID != "" {
		if _, err := r.Contact(ctx, a.TenantID(), in.ID); err != nil {
			errs["sender.id"] = "contact inconnu"
		}
		p.SenderID = in.ID
		return nil
	}
	if in.Email != "" {
		c, err := r.ContactByEmail(ctx, a.TenantID(), in.Email)
		if err == nil {
			p.SenderID = c.ID
			return nil
		}
		if !kernel.IsNotFound(err) {
			return err
		}
	}
	p.NewSender = in.Payload("sender.", errs)
	return nil
}

// storeUpload puts an upload's content in the blob store and returns the
// attach payload that references it.
func (s *Service) storeUpload(u Upload, letterID string) (*LetterAttach, error) {
	name := kernel.SafeName(u.Name)
	if name == "" {
		return nil, FieldErrors{"file": "nom de fichier manquant"}
	}
	if u.Role == "" {
		u.Role = domain.DocAttachment
	}
	if !u.Role.Valid() {
		return nil, FieldErrors{"role": "main, attachment ou draft"}
	}
	br := bufio.NewReaderSize(u.Body, 512)
	head, _ := br.Peek(512)
	sum, size, err := s.blobs.Put(br, s.MaxUpload)
	if errors.Is(err, blob.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s dépasse la taille maximale de %d Mo", kernel.ErrTooLarge, name, s.MaxUpload>>20)
	}
	if err != nil {
		return nil, err
	}
	return &LetterAttach{LetterID: letterID, DocumentID: NewID(), NewDoc: true, Role: string(u.Role), Name: name, SHA256: sum, Size: size, MIME: kernel.Sniff(name, head)}, nil
}

// QualifyInput changes a letter's metadata, field by field: an absent (or
// null) field is left as it is; clearing a field is said explicitly, with
// "" (an id, a date, the text), [] (copies) or false (confidential).
type QualifyInput struct {
	Subject      *string          `json:"subject,omitempty" doc:"Absent: inchangé; ne peut pas être vide"`
	Body         *string          `json:"body,omitempty" doc:"Absent: inchangé; \"\": effacé"`
	LetterDate   *string          `json:"letter_date,omitempty" doc:"Date du courrier, AAAA-MM-JJ; absent: inchangée; \"\": effacée"`
	Priority     *domain.Priority `json:"priority,omitempty"`
	Sender       *ContactInput    `json:"sender,omitempty" doc:"Expéditeur: un contact existant (id); absent: inchangé; id \"\": effacé"`
	RecipientID  *string          `json:"recipient_id,omitempty"`
	EntityID     *string          `json:"entity_id,omitempty" doc:"Absent: inchangée; \"\": aucune entité"`
	AssigneeID   *string          `json:"assignee_id,omitempty" doc:"Absent: inchangé; \"\": aucun destinataire"`
	DoctypeID    *string          `json:"doctype_id,omitempty"`
	Confidential *bool            `json:"confidential,omitempty" doc:"Absent: inchangé; false ne lève la confidentialité que pour le destinataire du courrier ou un administrateur"`
	Copies       *[]domain.Copy   `json:"copies,omitempty" doc:"Absent: inchangées; []: aucune copie"`
}

// FullQualify states every field of in, as a form that shows them all
// does: what the form leaves empty is cleared.
func FullQualify(in RegisterInput) QualifyInput {
	q := QualifyInput{Subject: &in.Subject, Body: &in.Body, LetterDate: &in.LetterDate, RecipientID: &in.RecipientID,
		EntityID: &in.EntityID, AssigneeID: &in.AssigneeID, DoctypeID: &in.DoctypeID, Confidential: &in.Confidential, Copies: &in.Copies,
		Sender: in.Sender}
	if in.Priority != "" {
		q.Priority = &in.Priority
	}
	return q
}

// Qualify completes or corrects a letter's metadata (mail room, admin, or
// the assignee). Only the fields given change; the confidential flag is
// dropped only when asked, by the letter's assignee or an administrator.
func (s *Service) Qualify(ctx context.Context, a *Actor, id string, in QualifyInput) (*domain.Letter, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	p := qualifyPayload(l)
	errs := FieldErrors{}
	qualifyFields(&p, in, errs)
	var copies []domain.Copy
	if in.Copies != nil {
		copies = *in.Copies
		p.Copies = []CopyPayload{}
		for _, c := range copies {
			p.Copies = append(p.Copies, CopyPayload{Kind: c.Kind, Ref: c.Ref})
		}
	}
	// Only what changes is checked: a letter routed to an entity since
	// removed keeps it while other fields change.
	changed := func(v *string, old string) string {
		if v == nil || strings.TrimSpace(*v) == old {
			return ""
		}
		return strings.TrimSpace(*v)
	}
	dt := s.checkRouting(ctx, a, errs, changed(in.EntityID, l.EntityID), changed(in.AssigneeID, l.AssigneeID), changed(in.DoctypeID, l.DoctypeID),
		changed(in.RecipientID, l.RecipientID), copies)
	if in.Sender != nil {
		p.SenderID = in.Sender.ID
		if p.SenderID != "" {
			if _, err := s.reader().Contact(ctx, a.TenantID(), p.SenderID); err != nil {
				errs["sender.id"] = "contact inconnu"
			}
		}
	}
	if in.Confidential != nil {
		if l.Confidential && !*in.Confidential && !a.IsAdmin() && l.AssigneeID != a.ID() {
			errs["confidential"] = "seuls le destinataire du courrier et les administrateurs lèvent la confidentialité"
		}
		p.Confidential = *in.Confidential
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	if p.DoctypeID != l.DoctypeID {
		// While the pieces of an incomplete request are awaited the delay
		// does not run: the due date is counted again when they come.
		pr, err := s.reader().LetterPieces(ctx, l.ID)
		if err != nil && !kernel.IsNotFound(err) {
			return nil, err
		}
		if !pr.Awaited() {
			p.DueDate = s.DueDate(a.Tenant, dt, l.ArrivalDate)
		}
	}
	v, err := s.propose(ctx, KindLetterQualify, a.TenantID(), a.ID(), p)
	if err != nil {
		return nil, err
	}
	return v.(*domain.Letter), nil
}

// qualifyPayload is the letter's current metadata: the fields in leaves
// absent are committed as they stand.
func qualifyPayload(l *domain.Letter) LetterQualify {
	p := LetterQualify{LetterID: l.ID, Subject: l.Subject, Body: l.Body, LetterDate: l.LetterDate, Priority: string(l.Priority),
		SenderID: l.SenderID, RecipientID: l.RecipientID, EntityID: l.EntityID, AssigneeID: l.AssigneeID, DoctypeID: l.DoctypeID,
		DueDate: l.DueDate, Confidential: l.Confidential, Copies: []CopyPayload{}}
	for _, c := range l.Copies {
		p.Copies = append(p.Copies, CopyPayload{Kind: c.Kind, Ref: c.Ref})
	}
	return p
}

// qualifyFields overwrites the plain fields in states (text, dates,
// priority, routing ids) and checks their form into errs; what needs the
// store (routing, sender) is checked by Qualify.
func qualifyFields(p *LetterQualify, in QualifyInput, errs FieldErrors) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&p.Subject, in.Subject)
	kernel.CheckLen(errs, "subject", p.Subject, 500, true)
	if in.Body != nil {
		p.Body = *in.Body
		kernel.CheckLen(errs, "body", p.Body, 1<<20, false)
	}
	set(&p.LetterDate, in.LetterDate)
	if in.LetterDate != nil && p.LetterDate != "" && !kernel.ValidDate(p.LetterDate) {
		errs["letter_date"] = "date invalide (AAAA-MM-JJ)"
	}
	if in.Priority != nil {
		if !in.Priority.Valid() {
			errs["priority"] = "low, normal, high ou urgent"
		}
		p.Priority = string(*in.Priority)
	}
	set(&p.RecipientID, in.RecipientID)
	set(&p.EntityID, in.EntityID)
	set(&p.AssigneeID, in.AssigneeID)
	set(&p.DoctypeID, in.DoctypeID)
}

// LetterView is everything the letter page shows.
type LetterView struct {
	Letter    *domain.Letter        `json:"letter"`
	Documents []domain.Document     `json:"documents"`
	Notes     []domain.Note         `json:"notes"`
	Links     []domain.Link         `json:"links"`
	History   []domain.HistoryEntry `json:"history"`
	Overdue   bool                  `json:"overdue"`
	// Pieces is the request for the pieces of an incomplete request, nil
	// when none was made.
	Pieces *domain.PiecesRequest `json:"pieces,omitempty"`
}

func (s *Service) Letter(ctx context.Context, a *Actor, id string) (*domain.Letter, error) {
	return s.reader().Letter(ctx, a.Perimeter, id)
}

func (s *Service) LetterByNumber(ctx context.Context, a *Actor, number string) (*domain.Letter, error) {
	return s.reader().LetterByNumber(ctx, a.Perimeter, number)
}

func (s *Service) View(ctx context.Context, a *Actor, id string) (*LetterView, error) {
	r := s.reader()
	l, err := r.Letter(ctx, a.Perimeter, id)
	if err != nil {
		return nil, err
	}
	v := &LetterView{Letter: l, Overdue: l.Overdue(s.today().Format(domain.DateLayout))}
	if v.Documents, err = r.Documents(ctx, l.ID); err != nil {
		return nil, err
	}
	if v.Notes, err = r.Notes(ctx, l.ID, a.Perimeter.Entities, a.IsAdmin()); err != nil {
		return nil, err
	}
	if v.Links, err = r.Links(ctx, a.Perimeter, l.ID); err != nil {
		return nil, err
	}
	if v.History, err = r.History(ctx, a.TenantID(), l.ID, 1000, 0); err != nil {
		return nil, err
	}
	if v.Pieces, err = r.LetterPieces(ctx, l.ID); kernel.IsNotFound(err) {
		v.Pieces, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() {
		// The history of a restricted note must not carry its text to
		// those who may not read it; summaries already omit it.
		for i := range v.History {
			v.History[i].Payload = ""
		}
	}
	return v, nil
}

// Letters lists the letters of the actor's perimeter matching the filter.
func (s *Service) Letters(ctx context.Context, a *Actor, f store.LetterFilter) ([]domain.Letter, int, error) {
	f.Today = s.today().Format(domain.DateLayout)
	if !store.ValidSort(f.Sort) {
		return nil, 0, FieldErrors{"sort": "tri inconnu"}
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	if f.Offset < 0 {
		return nil, 0, FieldErrors{"page": "page hors de la liste"}
	}
	return s.reader().Letters(ctx, a.Perimeter, f)
}

// TenantHistory lists a tenant's history (admin only).
func (s *Service) TenantHistory(ctx context.Context, a *Actor, limit, offset int) ([]domain.HistoryEntry, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	return s.reader().History(ctx, a.TenantID(), "", limit, offset)
}

// Document reads a document whose letter the actor sees.
func (s *Service) Document(ctx context.Context, a *Actor, id string) (*domain.Document, error) {
	d, err := s.reader().Document(ctx, a.TenantID(), id)
	if err != nil {
		return nil, err
	}
	if _, err := s.reader().Letter(ctx, a.Perimeter, d.LetterID); err != nil {
		return nil, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	return d, nil
}

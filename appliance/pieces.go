package appliance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/workdays"
)

// Incomplete requests (CRPA L114-5): an agent asks the sender for the
// pieces and information missing, sets the date they are due by, and the
// delay stops running; once they come, it runs again. For an SVA (and a
// normal) doctype the delay starts afresh from their receipt; for an SVR
// doctype it is suspended from the request until they come, or until the
// deadline if they do not.

// IncompleteInput declares a request incomplete.
type IncompleteInput struct {
	Missing  string `json:"missing" doc:"Pièces et informations manquantes, une par ligne"`
	Deadline string `json:"deadline" doc:"Date limite pour les produire, AAAA-MM-JJ, après aujourd'hui"`
}

// How the sender is told of the pieces asked (IncompleteResult.Notice).
const (
	NoticeEmail = "email" // a message, queued
	NoticeAck   = "ack"   // the acknowledgement, not yet sent, says it
	NoticePaper = "paper" // a letter to print: the paper acknowledgement (postal-ack) says it
	NoticeNone  = ""      // the sender has no address: tell them otherwise
)

// IncompleteResult is the letter with its pieces asked, and how its
// sender is told.
type IncompleteResult struct {
	Letter *domain.Letter        `json:"letter"`
	Pieces *domain.PiecesRequest `json:"pieces"`
	Notice string                `json:"notice" doc:"email: un message part au demandeur; ack: l'accusé de réception, pas encore envoyé, le dira; paper: imprimez la lettre (accusé de réception à imprimer); vide: le demandeur n'a pas d'adresse"`
}

// MarkIncomplete declares an incoming request incomplete: the pieces and
// information missing, the date they are due by. The due date stops (SVA,
// normal) or moves by the time given (SVR), and the sender is told.
func (s *Service) MarkIncomplete(ctx context.Context, a *Actor, id string, in IncompleteInput) (*IncompleteResult, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	today := s.today()
	errs := FieldErrors{}
	in.Missing = strings.TrimSpace(strings.ReplaceAll(in.Missing, "\r\n", "\n"))
	kernel.CheckLen(errs, "missing", in.Missing, 5000, true)
	deadline, err := time.Parse(domain.DateLayout, in.Deadline)
	switch {
	case err != nil:
		errs["deadline"] = "date invalide (AAAA-MM-JJ)"
	case !deadline.After(today):
		errs["deadline"] = "une date après aujourd'hui"
	case deadline.After(workdays.AddMonths(today, 12)):
		errs["deadline"] = "un an au plus"
	}
	if l.Category != domain.Incoming {
		errs["missing"] = "seule une demande reçue (courrier arrivée) peut être incomplète"
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	if l.Status == domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s est clos", ErrConflict, l.Number)
	}
	if old, err := s.reader().LetterPieces(ctx, l.ID); err == nil && old.Awaited() {
		return nil, fmt.Errorf("%w: des pièces sont déjà attendues pour le courrier %s", ErrConflict, l.Number)
	} else if err != nil && !kernel.IsNotFound(err) {
		return nil, err
	}
	p := LetterIncomplete{LetterID: l.ID, Missing: in.Missing, Deadline: in.Deadline, AskedOn: today.Format(domain.DateLayout), DueBefore: l.DueDate}
	if s.silence(ctx, a, l) == domain.ModeSVR && l.DueDate != "" {
		// Suspended for the time given to produce them: the latest day the
		// implicit refusal can arise, sooner if they come sooner.
		due, _ := time.Parse(domain.DateLayout, l.DueDate)
		p.DueDate = workdays.AddDays(due, int(deadline.Sub(today).Hours()/24)).Format(domain.DateLayout)
	}
	if p.Told, err = s.piecesNotice(ctx, a, l, &p); err != nil {
		return nil, err
	}
	v, err := s.propose(ctx, KindLetterIncomplete, a.TenantID(), a.ID(), p)
	if err != nil {
		return nil, fmt.Errorf("declare %s incomplete: %w", l.Number, err)
	}
	s.Log.Info("request declared incomplete", "tenant", a.TenantID(), "letter", l.Number, "deadline", in.Deadline, "notice", p.Told, "actor", a.User.Login)
	return v.(*IncompleteResult), nil
}

// silence is the mode of the letter's doctype, normal without one.
func (s *Service) silence(ctx context.Context, a *Actor, l *domain.Letter) domain.Mode {
	if l.DoctypeID == "" {
		return domain.ModeNormal
	}
	d, err := s.reader().Doctype(ctx, a.TenantID(), l.DoctypeID)
	if err != nil {
		return domain.ModeNormal
	}
	return d.Mode
}

// piecesNotice decides how the sender learns which pieces are asked: by
// e-mail (a message held until the mail bridge words it, like an
// acknowledgement), by the acknowledgement itself when it is still held,
// or on paper.
func (s *Service) piecesNotice(ctx context.Context, a *Actor, l *domain.Letter, p *LetterIncomplete) (string, error) {
	if l.SenderID == "" {
		return NoticeNone, nil
	}
	c, err := s.reader().Contact(ctx, a.TenantID(), l.SenderID)
	if err != nil {
		return "", err
	}
	if c.Email == "" {
		if strings.TrimSpace(c.Address+c.Postcode+c.City) != "" {
			return NoticePaper, nil
		}
		return NoticeNone, nil
	}
	out, err := s.reader().OutboxForLetter(ctx, l.ID)
	if err != nil {
		return "", err
	}
	for _, o := range out {
		if o.Kind == "ack" && o.Status == OutboxHeld {
			return NoticeAck, nil
		}
	}
	from, _ := s.MailSender(ctx, a.Tenant)
	if from == "" {
		return NoticePaper, nil
	}
	id := NewID()
	_, domainPart, _ := strings.Cut(from, "@")
	p.Notice = &OutboxPayload{ID: id, LetterID: l.ID, Kind: "incomplete", MessageID: "incomplete." + id + "@" + domainPart, MailFrom: from,
		RcptTo: strings.ToLower(c.Email), Subject: "(en attente de rédaction)", Held: true}
	return NoticeEmail, nil
}

// PiecesInput records the day the pieces came.
type PiecesInput struct {
	ReceivedOn string `json:"received_on,omitempty" doc:"Date de réception des pièces, AAAA-MM-JJ; aujourd'hui par défaut"`
}

// PiecesReceived records that the pieces asked came, and counts the due
// date again: from that day for an SVA or normal doctype; for an SVR one,
// the due date before the request moved by the time the delay was
// suspended (from the request to their receipt, or to the deadline).
func (s *Service) PiecesReceived(ctx context.Context, a *Actor, id string, in PiecesInput) (*domain.Letter, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	pr, err := s.reader().LetterPieces(ctx, l.ID)
	if (err == nil && !pr.Awaited()) || kernel.IsNotFound(err) {
		return nil, fmt.Errorf("%w: aucune pièce n'est attendue pour le courrier %s", ErrConflict, l.Number)
	}
	if err != nil {
		return nil, err
	}
	today := s.today().Format(domain.DateLayout)
	if in.ReceivedOn == "" {
		in.ReceivedOn = today
	}
	switch {
	case !kernel.ValidDate(in.ReceivedOn):
		return nil, FieldErrors{"received_on": "date invalide (AAAA-MM-JJ)"}
	case in.ReceivedOn > today:
		return nil, FieldErrors{"received_on": "pas après aujourd'hui"}
	case in.ReceivedOn < pr.AskedOn:
		return nil, FieldErrors{"received_on": "pas avant la demande de pièces (" + kernel.Civil(pr.AskedOn) + ")"}
	}
	p := LetterPiecesReceived{LetterID: l.ID, ReceivedOn: in.ReceivedOn}
	if s.silence(ctx, a, l) == domain.ModeSVR {
		p.DueDate = suspendedDue(pr, in.ReceivedOn)
	} else if l.DoctypeID != "" {
		d, err := s.reader().Doctype(ctx, a.TenantID(), l.DoctypeID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		p.DueDate = s.DueDate(a.Tenant, d, in.ReceivedOn)
	}
	v, err := s.propose(ctx, KindLetterPieces, a.TenantID(), a.ID(), p)
	if err != nil {
		return nil, fmt.Errorf("record pieces of %s: %w", l.Number, err)
	}
	s.Log.Info("pieces received", "tenant", a.TenantID(), "letter", l.Number, "received_on", in.ReceivedOn, "due", p.DueDate, "actor", a.User.Login)
	return v.(*domain.Letter), nil
}

// suspendedDue is an SVR letter's due date once its pieces came on
// received: the due date before the request, moved by the days the delay
// was suspended, from the request to the receipt or the deadline, the
// sooner.
func suspendedDue(pr *domain.PiecesRequest, received string) string {
	if pr.DueBefore == "" {
		return ""
	}
	end := min(received, pr.Deadline)
	asked, _ := time.Parse(domain.DateLayout, pr.AskedOn)
	until, _ := time.Parse(domain.DateLayout, end)
	due, _ := time.Parse(domain.DateLayout, pr.DueBefore)
	return workdays.AddDays(due, int(until.Sub(asked).Hours()/24)).Format(domain.DateLayout)
}

// Pieces reads the letter's request for pieces, nil when none was made.
func (s *Service) Pieces(ctx context.Context, a *Actor, letterID string) (*domain.PiecesRequest, error) {
	if _, err := s.reader().Letter(ctx, a.Perimeter, letterID); err != nil {
		return nil, err
	}
	p, err := s.reader().LetterPieces(ctx, letterID)
	if kernel.IsNotFound(err) {
		return nil, nil
	}
	return p, err
}

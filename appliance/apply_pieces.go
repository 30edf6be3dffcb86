package appliance

import (
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// registerPieces registers the apply function of each kind below with r.
func registerPieces(r *kernel.Registry) {
	kernel.Handle(r, KindLetterIncomplete, applyLetterIncomplete)
	kernel.Handle(r, KindLetterPieces, applyLetterPieces)
}

// checkDates is Apply's own check of the dates a command carries: the
// Service checked them, but the log is replayed everywhere.
func checkDates(dates ...string) error {
	for _, d := range dates {
		if d != "" && !kernel.ValidDate(d) {
			return fmt.Errorf("%w: date %q invalide", ErrInvalid, d)
		}
	}
	return nil
}

func applyLetterIncomplete(a *kernel.Ctx, p *LetterIncomplete) (any, error) {
	if p.Missing == "" || p.Deadline == "" || p.AskedOn == "" {
		return nil, fmt.Errorf("%w: pièces, date limite et date de la demande sont obligatoires", ErrInvalid)
	}
	if err := checkDates(p.Deadline, p.AskedOn, p.DueBefore, p.DueDate); err != nil {
		return nil, err
	}
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := kernel.CheckOpen(l); err != nil {
		return nil, err
	}
	if l.Category != domain.Incoming {
		return nil, fmt.Errorf("%w: seule une demande reçue (courrier arrivée) peut être incomplète", ErrInvalid)
	}
	switch old, err := a.Tx.LetterPieces(a.Ctx, l.ID); {
	case err == nil && old.Awaited():
		return nil, fmt.Errorf("%w: des pièces sont déjà attendues pour le courrier %s", ErrConflict, l.Number)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	pr := &domain.PiecesRequest{LetterID: l.ID, Missing: p.Missing, Deadline: p.Deadline, AskedOn: p.AskedOn, AskedBy: a.Cmd.Actor, DueBefore: p.DueBefore}
	if err := a.Tx.SetLetterPieces(a.Cmd.Tenant, pr); err != nil {
		return nil, err
	}
	l.DueDate, l.UpdatedAt = p.DueDate, a.At
	if err := a.Tx.UpdateLetter(l); err != nil {
		return nil, err
	}
	if p.Notice != nil {
		n := *p.Notice
		n.LetterID, n.Held = l.ID, true
		if err := kernel.InsertOutbox(a, n); err != nil {
			return nil, err
		}
	}
	a.Summary = "Demande incomplète : pièces à produire avant le " + kernel.Civil(p.Deadline) + " ; délai de traitement suspendu"
	if l, err = kernel.LetterForUpdate(a, l.ID); err != nil {
		return nil, err
	}
	return &IncompleteResult{Letter: l, Pieces: pr, Notice: p.Told}, nil
}

func applyLetterPieces(a *kernel.Ctx, p *LetterPiecesReceived) (any, error) {
	if err := checkDates(p.ReceivedOn, p.DueDate); err != nil {
		return nil, err
	}
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	pr, err := a.Tx.LetterPieces(a.Ctx, l.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pr.Awaited()) {
		return nil, fmt.Errorf("%w: aucune pièce n'est attendue pour le courrier %s", ErrConflict, l.Number)
	}
	if err != nil {
		return nil, err
	}
	if p.ReceivedOn == "" || p.ReceivedOn < pr.AskedOn {
		return nil, fmt.Errorf("%w: les pièces ne peuvent arriver avant d'être demandées (%s)", ErrInvalid, pr.AskedOn)
	}
	pr.ReceivedOn = p.ReceivedOn
	if err := a.Tx.SetLetterPieces(a.Cmd.Tenant, pr); err != nil {
		return nil, err
	}
	l.DueDate, l.UpdatedAt = p.DueDate, a.At
	if err := a.Tx.UpdateLetter(l); err != nil {
		return nil, err
	}
	a.Summary = "Pièces reçues le " + kernel.Civil(p.ReceivedOn)
	if p.DueDate != "" {
		a.Summary += " ; nouvelle date limite : " + kernel.Civil(p.DueDate)
	}
	// The letter read back is the request's answer, and what an
	// idempotency key records.
	return kernel.LetterForUpdate(a, l.ID)
}

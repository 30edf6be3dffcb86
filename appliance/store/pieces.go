package store

import (
	"context"

	"missive/appliance/domain"
)

// The pieces asked of the sender of an incomplete request (letter_pieces).

const piecesCols = `letter_id, missing, deadline, asked_on, asked_by, due_before, received_on`

// LetterPieces reads a letter's request for pieces; ErrNotFound when none
// was ever made.
func (r LetterReader) LetterPieces(ctx context.Context, letterID string) (*domain.PiecesRequest, error) {
	var p domain.PiecesRequest
	err := r.queryRow(ctx, `SELECT `+piecesCols+` FROM letter_pieces WHERE letter_id = ?`, letterID).
		Scan(&p.LetterID, &p.Missing, &p.Deadline, &p.AskedOn, &p.AskedBy, &p.DueBefore, &p.ReceivedOn)
	if err := notFound(err, "demande de pièces du courrier "+letterID); err != nil {
		return nil, err
	}
	return &p, nil
}

// SetLetterPieces records a request for pieces, replacing an earlier one
// of the letter.
func (t LetterTx) SetLetterPieces(tenant string, p *domain.PiecesRequest) error {
	if err := t.exec(`DELETE FROM letter_pieces WHERE letter_id = ?`, p.LetterID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO letter_pieces (letter_id, tenant_id, missing, deadline, asked_on, asked_by, due_before, received_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.LetterID, tenant, p.Missing, p.Deadline, p.AskedOn, p.AskedBy, p.DueBefore, p.ReceivedOn)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LetterRow is a letter as stored: every column that a command sets (the
// derived full-text columns and the internal seq aside) and its copies.
// The history records a digest of it after each command about the letter,
// so that a row changed outside the log is found (appliance/history.go).
// A column added later must be added here too, or its changes go unseen.
type LetterRow struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenant_id"`
	Category     string    `json:"category"`
	Year         int64     `json:"year"`
	Num          int64     `json:"num"`
	Number       string    `json:"number"`
	Subject      string    `json:"subject"`
	Body         string    `json:"body"`
	LetterDate   string    `json:"letter_date"`
	ArrivalDate  string    `json:"arrival_date"`
	Priority     string    `json:"priority"`
	SenderID     string    `json:"sender_id"`
	RecipientID  string    `json:"recipient_id"`
	EntityID     string    `json:"entity_id"`
	AssigneeID   string    `json:"assignee_id"`
	DoctypeID    string    `json:"doctype_id"`
	DueDate      string    `json:"due_date"`
	Status       string    `json:"status"`
	Confidential int64     `json:"confidential"`
	Channel      string    `json:"channel"`
	CreatedAt    string    `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	UpdatedAt    string    `json:"updated_at"`
	ClosedAt     string    `json:"closed_at"`
	Copies       []CopyRow `json:"copies"`
	// Latest is the digest recorded by the newest history entry about the
	// letter and LatestSeq that entry's number (EachLetterRow only).
	Latest    string `json:"-"`
	LatestSeq int64  `json:"-"`
}

type CopyRow struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
}

const letterRowCols = `l.id, l.tenant_id, l.category, l.year, l.num, l.number, l.subject, l.body, l.letter_date, l.arrival_date, l.priority,
	l.sender_id, l.recipient_id, l.entity_id, l.assignee_id, l.doctype_id, l.due_date, l.status, l.confidential, l.channel,
	l.created_at, l.created_by, l.updated_at, l.closed_at`

func (x *LetterRow) dest() []any {
	return []any{&x.ID, &x.TenantID, &x.Category, &x.Year, &x.Num, &x.Number, &x.Subject, &x.Body, &x.LetterDate, &x.ArrivalDate, &x.Priority,
		&x.SenderID, &x.RecipientID, &x.EntityID, &x.AssigneeID, &x.DoctypeID, &x.DueDate, &x.Status, &x.Confidential, &x.Channel,
		&x.CreatedAt, &x.CreatedBy, &x.UpdatedAt, &x.ClosedAt}
}

// LetterRow reads one letter as stored (ErrNotFound when there is none).
func (r LetterReader) LetterRow(ctx context.Context, id string) (*LetterRow, error) {
	var x LetterRow
	if err := r.queryRow(ctx, `SELECT `+letterRowCols+` FROM letters l WHERE l.id = ?`, id).Scan(x.dest()...); err != nil {
		return nil, notFound(err, "courrier "+id)
	}
	rows, err := r.query(ctx, `SELECT kind, ref FROM letter_copies WHERE letter_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("read copies of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CopyRow
		if err := rows.Scan(&c.Kind, &c.Ref); err != nil {
			return nil, err
		}
		x.Copies = append(x.Copies, c)
	}
	return &x, rows.Err()
}

// EachLetterRow calls fn for every letter as stored, with the digest of the
// newest history entry about it, in storage order, until fn returns false.
// One query, letters joined to their copies: a transaction holds one open
// result set at a time on PostgreSQL.
func (r LetterReader) EachLetterRow(ctx context.Context, fn func(*LetterRow) bool) error {
	rows, err := r.query(ctx, `SELECT `+letterRowCols+`, l.seq,
		COALESCE((SELECT h.seq FROM history h WHERE h.letter_id = l.id ORDER BY h.seq DESC LIMIT 1), 0),
		COALESCE((SELECT h.digest FROM history h WHERE h.letter_id = l.id ORDER BY h.seq DESC LIMIT 1), ''),
		c.kind, c.ref
		FROM letters l LEFT JOIN letter_copies c ON c.letter_id = l.id ORDER BY l.seq`)
	if err != nil {
		return fmt.Errorf("read letters: %w", err)
	}
	defer rows.Close()
	var cur *LetterRow
	var curSeq int64
	for rows.Next() {
		var x LetterRow
		var seq int64
		var kind, ref sql.NullString
		if err := rows.Scan(append(x.dest(), &seq, &x.LatestSeq, &x.Latest, &kind, &ref)...); err != nil {
			return fmt.Errorf("read letters: %w", err)
		}
		if cur == nil || seq != curSeq {
			if cur != nil && !fn(cur) {
				return nil
			}
			cur, curSeq = &x, seq
		}
		if kind.Valid {
			cur.Copies = append(cur.Copies, CopyRow{Kind: kind.String, Ref: ref.String})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read letters: %w", err)
	}
	if cur != nil {
		fn(cur)
	}
	return nil
}

// GoneLetter is a letter the history speaks of that has no row.
type GoneLetter struct {
	ID     string
	Seq    int64  // newest entry about it
	Digest string // what that entry recorded
}

// GoneLetters lists the letters the history speaks of that have no row.
func (r LetterReader) GoneLetters(ctx context.Context) ([]GoneLetter, error) {
	rows, err := r.query(ctx, `SELECT h.letter_id, h.seq, h.digest FROM history h
		WHERE h.letter_id <> '' AND NOT EXISTS (SELECT 1 FROM letters l WHERE l.id = h.letter_id)
		AND h.seq = (SELECT MAX(x.seq) FROM history x WHERE x.letter_id = h.letter_id)`)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer rows.Close()
	var out []GoneLetter
	for rows.Next() {
		var g GoneLetter
		if err := rows.Scan(&g.ID, &g.Seq, &g.Digest); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// HistoryHash is the hash of the entry seq ("" and ErrNotFound if none).
func (r KernelReader) HistoryHash(ctx context.Context, seq int64) (string, error) {
	var h string
	err := r.queryRow(ctx, `SELECT hash FROM history WHERE seq = ?`, seq).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("entrée %d: %w", seq, ErrNotFound)
	}
	return h, err
}

// FirstSigned is the number of the first signed history entry, 0 if none.
func (r KernelReader) FirstSigned(ctx context.Context) (int64, error) {
	var seq int64
	err := r.queryRow(ctx, `SELECT COALESCE(MIN(seq), 0) FROM history WHERE sig <> ''`).Scan(&seq)
	return seq, err
}

// HistoryKind is the kind of the entry seq.
func (r KernelReader) HistoryKind(ctx context.Context, seq int64) (string, error) {
	var k string
	err := r.queryRow(ctx, `SELECT kind FROM history WHERE seq = ?`, seq).Scan(&k)
	return k, notFound(err, fmt.Sprintf("entrée %d", seq))
}

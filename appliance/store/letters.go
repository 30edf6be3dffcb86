package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"missive/appliance/domain"
)

// Perimeter is what a reader may see, resolved by the appliance from the
// user's role and memberships. Every letter read takes one, so that the
// rule lives in the query and not in each caller.
type Perimeter struct {
	TenantID string
	// All: every letter of the tenant, confidential ones included (admin).
	All bool
	// AllOpen: every non-confidential letter of the tenant (mail room).
	AllOpen bool
	UserID  string
	// Entities the user belongs to, with the sub-entities of those they manage.
	Entities []string
}

// clause returns the SQL condition on alias l and its arguments.
func (p Perimeter) clause() (string, []any) { return p.clauseOn("l.tenant_id") }

// clauseOn is clause with the tenant column written as tenantCol: a search
// on SQLite writes it "+l.tenant_id" so that the planner reads the matches
// from the full-text index instead of every letter of the tenant (search.go).
//
// Copies are tested against sets read once from the copies' index (IN of a
// subquery that does not depend on l), not by an EXISTS per letter: under
// the OR, the EXISTS ran for every letter the other branches did not admit,
// which made an agent's count an index probe per letter of the tenant.
func (p Perimeter) clauseOn(tenantCol string) (string, []any) {
	return p.clauseText(tenantCol), p.clauseArgs()
}

// clauseText is the text of clauseOn: it depends only on the perimeter's
// shape, so that hot reads build it once per shape (memo).
func (p Perimeter) clauseText(tenantCol string) string {
	if p.All {
		return tenantCol + " = ?"
	}
	var or []string
	switch {
	case p.AllOpen:
		or = append(or, "l.confidential = 0")
	case len(p.Entities) > 0:
		or = append(or, "(l.confidential = 0 AND l.entity_id IN ("+placeholders(len(p.Entities))+"))")
	}
	or = append(or, "l.assignee_id = ?", "l.id IN (SELECT letter_id FROM letter_copies WHERE kind = 'user' AND ref = ?)")
	// A copy to one of the user's entities opens a non-confidential letter;
	// the mail room already sees all of those.
	if len(p.Entities) > 0 && !p.AllOpen {
		or = append(or, "(l.confidential = 0 AND l.id IN (SELECT letter_id FROM letter_copies WHERE kind = 'entity' AND ref IN ("+placeholders(len(p.Entities))+")))")
	}
	return tenantCol + " = ? AND (" + strings.Join(or, " OR ") + ")"
}

// clauseArgs are the arguments of clauseText, in its order.
func (p Perimeter) clauseArgs() []any {
	args := make([]any, 0, 3+2*len(p.Entities))
	args = append(args, p.TenantID)
	if p.All {
		return args
	}
	if !p.AllOpen {
		for _, e := range p.Entities {
			args = append(args, e)
		}
	}
	args = append(args, p.UserID, p.UserID)
	if len(p.Entities) > 0 && !p.AllOpen {
		for _, e := range p.Entities {
			args = append(args, e)
		}
	}
	return args
}

// perimShape is what the text of a perimeter's clause depends on.
type perimShape struct {
	all, allOpen bool
	entities     int
}

func (p Perimeter) shape() perimShape {
	return perimShape{all: p.All, allOpen: p.AllOpen, entities: len(p.Entities)}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

const letterCols = `l.id, l.number, l.category, l.subject, l.body, l.letter_date, l.arrival_date, l.priority,
	l.sender_id, l.recipient_id, l.entity_id, l.assignee_id, l.doctype_id, l.due_date, l.status, l.confidential,
	l.channel, l.created_at, l.created_by, l.updated_at, l.closed_at,
	COALESCE(s.first_name, ''), COALESCE(s.last_name, ''), COALESCE(s.organization, ''), COALESCE(s.email, ''),
	COALESCE(e.name, ''), COALESCE(u.name, ''), COALESCE(d.label, '')`

const letterJoins = ` FROM letters l
	LEFT JOIN contacts s ON s.id = l.sender_id
	LEFT JOIN entities e ON e.id = l.entity_id
	LEFT JOIN users u ON u.id = l.assignee_id
	LEFT JOIN doctypes d ON d.id = l.doctype_id`

func scanLetter(sc interface{ Scan(...any) error }) (domain.Letter, error) {
	var l domain.Letter
	var sender domain.Contact
	err := sc.Scan(&l.ID, &l.Number, &l.Category, &l.Subject, &l.Body, &l.LetterDate, &l.ArrivalDate, &l.Priority,
		&l.SenderID, &l.RecipientID, &l.EntityID, &l.AssigneeID, &l.DoctypeID, &l.DueDate, &l.Status, &l.Confidential,
		&l.Channel, &l.CreatedAt, &l.CreatedBy, &l.UpdatedAt, &l.ClosedAt,
		&sender.FirstName, &sender.LastName, &sender.Organization, &sender.Email,
		&l.EntityName, &l.AssigneeName, &l.DoctypeLabel)
	l.SenderName = sender.DisplayName()
	return l, err
}

func (r LetterReader) copies(ctx context.Context, l *domain.Letter) error {
	rows, err := r.query(ctx, `SELECT kind, ref FROM letter_copies WHERE letter_id = ? ORDER BY kind, ref`, l.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	l.Copies = []domain.Copy{}
	for rows.Next() {
		var c domain.Copy
		if err := rows.Scan(&c.Kind, &c.Ref); err != nil {
			return err
		}
		l.Copies = append(l.Copies, c)
	}
	return rows.Err()
}

// letterKey names the text of a one-letter read: by id or by number.
type letterKey struct {
	perim perimShape
	by    string
}

// Letter reads one letter within the perimeter. A letter outside it is
// ErrNotFound, like one that does not exist, so that its existence leaks not.
func (r LetterReader) Letter(ctx context.Context, p Perimeter, id string) (*domain.Letter, error) {
	q := memo(r.rd, letterKey{p.shape(), "id"}, func() string {
		return `SELECT ` + letterCols + letterJoins + ` WHERE ` + p.clauseText("l.tenant_id") + ` AND l.id = ?`
	})
	l, err := scanLetter(r.queryRow(ctx, q, append(p.clauseArgs(), id)...))
	if err := notFound(err, "courrier "+id); err != nil {
		return nil, err
	}
	return &l, r.copies(ctx, &l)
}

// LetterByNumber reads a letter by its registration number, within the perimeter.
func (r LetterReader) LetterByNumber(ctx context.Context, p Perimeter, number string) (*domain.Letter, error) {
	q := memo(r.rd, letterKey{p.shape(), "number"}, func() string {
		return `SELECT ` + letterCols + letterJoins + ` WHERE ` + p.clauseText("l.tenant_id") + ` AND l.number = ?`
	})
	l, err := scanLetter(r.queryRow(ctx, q, append(p.clauseArgs(), number)...))
	if err := notFound(err, "courrier "+number); err != nil {
		return nil, err
	}
	return &l, r.copies(ctx, &l)
}

// LetterFilter narrows a list of letters. Zero values mean "any".
type LetterFilter struct {
	Query      string // full text, Maarch style: words, "a phrase", prefix*
	Category   domain.Category
	Status     domain.Status
	EntityID   string
	DoctypeID  string
	AssigneeID string
	From, To   string // arrival dates, inclusive
	Overdue    bool
	Today      string // civil date "today" for Overdue
	Sort       string // number, subject, sender, entity, arrival, due, priority
	Desc       bool
	Limit      int
	Offset     int
	// After pages by key: the letters that sort after this one (its id),
	// in place of Offset, so that a deep page costs what the first does
	// and a letter registered meanwhile shifts nothing. A letter the
	// perimeter does not show gives an empty page.
	After string
	// Body reads each letter's body; a list without it reads the summary
	// columns only.
	Body bool
	// NoTotal skips the count, for a list that does not show it: Letters
	// then returns -1 as the total.
	NoTotal bool
}

// sortColumns lists each sort's keys; the direction applies to every one.
var sortColumns = map[string][]string{
	"number":   {"l.category", "l.year", "l.num"},
	"subject":  {"l.subject"},
	"sender":   {"COALESCE(s.last_name, '')", "COALESCE(s.organization, '')"},
	"entity":   {"COALESCE(e.name, '')"},
	"arrival":  {"l.arrival_date"},
	"due":      {"CASE WHEN l.due_date = '' THEN '9999' ELSE l.due_date END"},
	"priority": {"CASE l.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END"},
	"":         {"l.seq"},
}

// ValidSort says whether a sort key is known.
func ValidSort(s string) bool { _, ok := sortColumns[s]; return ok }

// Letters lists the letters of the perimeter that match f, with the total
// count of matches for pagination (-1 with f.NoTotal). There is no cap on
// results: Limit pages, by Offset or by key (After).
func (r LetterReader) Letters(ctx context.Context, p Perimeter, f LetterFilter) ([]domain.Letter, int, error) {
	conds, fargs, empty := r.filterConds(f)
	if empty {
		return []domain.Letter{}, 0, nil
	}
	if _, ok := sortColumns[f.Sort]; !ok {
		return nil, 0, fmt.Errorf("tri %q inconnu", f.Sort)
	}
	q := memo(r.rd, listKey{perim: p.shape(), conds: f.condMask(), sort: f.Sort, desc: f.Desc, after: f.After != "", body: f.Body},
		func() listQueries { return r.listQueries(p, f, conds) })
	args := append(p.clauseArgs(), fargs...)
	total := -1
	if !f.NoTotal {
		if err := r.queryRow(ctx, q.count, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count letters: %w", err)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if f.After != "" {
		args = append(append(append(args, p.clauseArgs()...), f.After), limit)
	} else {
		args = append(args, limit, f.Offset)
	}
	rows, err := r.query(ctx, q.page, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list letters: %w", err)
	}
	defer rows.Close()
	out := []domain.Letter{}
	for rows.Next() {
		l, err := scanLetter(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, rows.Err()
}

// listKey is what the texts of a list depend on: the perimeter's shape,
// the filter's conditions (constant texts), the order and the paging.
type listKey struct {
	perim             perimShape
	conds             uint16
	sort              string
	desc, after, body bool
}

// condMask says which conditions filterConds writes, one bit each: their
// texts are constant, so the mask names the WHERE.
func (f LetterFilter) condMask() uint16 {
	var m uint16
	for i, set := range []bool{f.Category != "", f.Status != "", f.EntityID != "", f.DoctypeID != "", f.AssigneeID != "",
		f.From != "", f.To != "", f.Overdue, strings.TrimSpace(f.Query) != ""} {
		if set {
			m |= 1 << i
		}
	}
	return m
}

// listQueries are the two statements of a list: the count, then the page
// (LIMIT ? OFFSET ?, or after a letter: its perimeter and id, then LIMIT ?).
type listQueries struct{ count, page string }

func (r rd) listQueries(p Perimeter, f LetterFilter, conds []string) listQueries {
	search := strings.TrimSpace(f.Query) != ""
	tenantCol, from := "l.tenant_id", "letters l"
	if search {
		tenantCol = r.d.(searcher).searchTenantCol()
		if len(conds) == 1 {
			from = r.d.(searcher).countFrom()
		}
	}
	where := p.clauseText(tenantCol)
	for _, c := range conds {
		where += " AND " + c
	}
	keys := sortColumns[f.Sort]
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	cols := letterCols
	if !f.Body {
		cols = letterColsNoBody
	}
	page := ` LIMIT ? OFFSET ?`
	if f.After != "" {
		where += " AND " + afterCond(p, keys, f.Desc)
		page = ` LIMIT ?`
	}
	// Filters and the perimeter use letter columns only: count without the
	// display joins, which cost as much as the count itself on a big table.
	return listQueries{
		count: `SELECT COUNT(*) FROM ` + from + ` WHERE ` + p.clauseText(tenantCol) + strings.Join(append([]string{""}, conds...), " AND "),
		page:  `SELECT ` + cols + letterJoins + ` WHERE ` + where + ` ORDER BY ` + strings.Join(keys, dir+", ") + dir + `, l.seq` + dir + page,
	}
}

// letterColsNoBody is letterCols with an empty body: a page of fifty
// letters then reads no long text, and the body's overflow pages stay on
// disk.
var letterColsNoBody = strings.Replace(letterCols, "l.body,", "'',", 1)

// afterCond is the keyset condition of a page that starts after the letter
// with id after: its sort keys, then l.seq, compared as one row value with
// those of that letter, read under the same perimeter so that a letter the
// reader may not see cannot be used to probe the order of the others.
//
// Its arguments are the perimeter's, then the id.
func afterCond(p Perimeter, keys []string, desc bool) string {
	op := " > "
	if desc {
		op = " < "
	}
	row := strings.Join(append(slices.Clone(keys), "l.seq"), ", ")
	return "(" + row + ")" + op + "(SELECT " + row + letterJoins + " WHERE " + p.clauseText("l.tenant_id") + " AND l.id = ?)"
}

// LastNum is the highest registration sequence for tenant, category and year.
func (r LetterReader) LastNum(ctx context.Context, tenant string, cat domain.Category, year int) (int, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COALESCE(MAX(num), 0) FROM letters WHERE tenant_id = ? AND category = ? AND year = ?`, tenant, string(cat), year).Scan(&n)
	return n, err
}

// Documents lists a letter's documents with their versions, oldest first.
func (r LetterReader) Documents(ctx context.Context, letterID string) ([]domain.Document, error) {
	rows, err := r.query(ctx, `SELECT d.id, d.letter_id, d.role, d.name, d.created_at, d.created_by,
		v.version, v.sha256, v.size, v.mime, v.created_at, v.created_by
		FROM documents d JOIN document_versions v ON v.document_id = d.id
		WHERE d.letter_id = ? ORDER BY d.created_at, d.id, v.version`, letterID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Document{}
	for rows.Next() {
		var d domain.Document
		var v domain.Version
		if err := rows.Scan(&d.ID, &d.LetterID, &d.Role, &d.Name, &d.CreatedAt, &d.CreatedBy,
			&v.Version, &v.SHA256, &v.Size, &v.MIME, &v.CreatedAt, &v.CreatedBy); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == d.ID {
			out[n-1].Versions = append(out[n-1].Versions, v)
			continue
		}
		d.Versions = []domain.Version{v}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Document reads one document of the tenant, with its versions.
func (r LetterReader) Document(ctx context.Context, tenant, id string) (*domain.Document, error) {
	var letterID string
	err := r.queryRow(ctx, `SELECT letter_id FROM documents WHERE tenant_id = ? AND id = ?`, tenant, id).Scan(&letterID)
	if err := notFound(err, "document "+id); err != nil {
		return nil, err
	}
	docs, err := r.Documents(ctx, letterID)
	if err != nil {
		return nil, err
	}
	for i := range docs {
		if docs[i].ID == id {
			return &docs[i], nil
		}
	}
	return nil, fmt.Errorf("document %s: %w", id, ErrNotFound)
}

// Notes lists a letter's notes that a reader of these entities may read:
// public notes and those restricted to one of them. all=true reads every note.
func (r LetterReader) Notes(ctx context.Context, letterID string, entities []string, all bool) ([]domain.Note, error) {
	rows, err := r.query(ctx, `SELECT n.id, n.letter_id, n.author_id, COALESCE(u.name, ''), n.text, n.created_at
		FROM notes n LEFT JOIN users u ON u.id = n.author_id WHERE n.letter_id = ? ORDER BY n.created_at, n.id`, letterID)
	if err != nil {
		return nil, err
	}
	var notes []domain.Note
	for rows.Next() {
		var n domain.Note
		if err := rows.Scan(&n.ID, &n.LetterID, &n.AuthorID, &n.Author, &n.Text, &n.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		notes = append(notes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	allowed := map[string]bool{}
	for _, e := range entities {
		allowed[e] = true
	}
	out := []domain.Note{}
	for _, n := range notes {
		ents, err := r.noteEntities(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		n.Entities = ents
		ok := all || len(ents) == 0
		for _, e := range ents {
			ok = ok || allowed[e]
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

func (r LetterReader) noteEntities(ctx context.Context, noteID string) ([]string, error) {
	rows, err := r.query(ctx, `SELECT entity_id FROM note_entities WHERE note_id = ? ORDER BY entity_id`, noteID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Links lists the letters linked to this one that the perimeter lets one see.
func (r LetterReader) Links(ctx context.Context, p Perimeter, letterID string) ([]domain.Link, error) {
	where, args := p.clause()
	args = append([]any{letterID}, args...)
	rows, err := r.query(ctx, `SELECT l.id, l.number, l.subject, k.created_at FROM letter_links k
		JOIN letters l ON l.id = k.other_id WHERE k.letter_id = ? AND `+where+` ORDER BY k.created_at`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Link{}
	for rows.Next() {
		var k domain.Link
		if err := rows.Scan(&k.LetterID, &k.Number, &k.Subject, &k.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// LinkExists says whether two letters are already linked.
func (r LetterReader) LinkExists(ctx context.Context, a, b string) (bool, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COUNT(*) FROM letter_links WHERE letter_id = ? AND other_id = ?`, a, b).Scan(&n)
	return n > 0, err
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"missive/appliance/domain"
)

// Reads of the web UI's tables, and the letter reads only the web UI makes
// (baskets, counts, arrivals per day).

// WebKey is what an older version's web.key.create left for the tenant
// (ErrNotFound if none): since migration 0016, never a key.
func (r OrgReader) WebKey(ctx context.Context, tenant string) (string, error) {
	var v string
	err := r.queryRow(ctx, `SELECT secret FROM web_keys WHERE tenant_id = ?`, tenant).Scan(&v)
	return v, notFound(err, "clé de session")
}

// SessionEpoch is the user's session epoch: 0 until their first logout.
func (r OrgReader) SessionEpoch(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := r.queryRow(ctx, `SELECT epoch FROM web_session_epochs WHERE user_id = ?`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// Baskets lists a role's configured baskets in order; none means the
// built-in ones.
func (r PrefsReader) Baskets(ctx context.Context, tenant, role string) ([]domain.BasketRow, error) {
	rows, err := r.query(ctx, `SELECT id, label, filter, actions FROM web_baskets WHERE tenant_id = ? AND role = ? ORDER BY position`, tenant, role)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.BasketRow
	for rows.Next() {
		var b domain.BasketRow
		if err := rows.Scan(&b.ID, &b.Label, &b.Filter, &b.Actions); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func (r PrefsReader) SavedSearches(ctx context.Context, tenant, userID string) ([]domain.SavedSearch, error) {
	rows, err := r.query(ctx, `SELECT id, tenant_id, user_id, name, query, created_at FROM web_saved_searches WHERE tenant_id = ? AND user_id = ? ORDER BY name`, tenant, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.SavedSearch{}
	for rows.Next() {
		var s domain.SavedSearch
		if err := rows.Scan(&s.ID, &s.TenantID, &s.UserID, &s.Name, &s.Query, &s.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Following says whether the user follows the letter.
func (r PrefsReader) Following(ctx context.Context, userID, letterID string) (bool, error) {
	var n int
	err := r.queryRow(ctx, `SELECT COUNT(*) FROM web_follows WHERE user_id = ? AND letter_id = ?`, userID, letterID).Scan(&n)
	return n > 0, err
}

// BasketScope narrows the perimeter to one basket. Zero values mean "any";
// the conditions add up.
type BasketScope struct {
	Statuses   []domain.Status
	AssigneeID string
	// Entities: the letter's entity is one of these.
	Entities []string
	// CopyUser and CopyEntities: the letter is copied to this user or to one
	// of these entities.
	CopyUser     string
	CopyEntities []string
	FollowedBy   string
	Overdue      bool
	// None is a basket that cannot hold anything for this user (their
	// service's basket when they belong to no entity).
	None bool
}

// source is what the query reads letters from: the letters table, or,
// for a scope driven by a short list (the user's copies, the letters they
// follow), that list joined to the letters. CROSS JOIN makes SQLite take
// the list first instead of scanning every letter and probing the list;
// the join condition is in conds.
func (s BasketScope) source() (string, []any) {
	var args []any
	switch {
	case s.CopyUser != "" || len(s.CopyEntities) > 0:
		var or []string
		if s.CopyUser != "" {
			or = append(or, "(kind = 'user' AND ref = ?)")
			args = append(args, s.CopyUser)
		}
		if len(s.CopyEntities) > 0 {
			or = append(or, "(kind = 'entity' AND ref IN ("+placeholders(len(s.CopyEntities))+"))")
			for _, e := range s.CopyEntities {
				args = append(args, e)
			}
		}
		return "(SELECT DISTINCT letter_id FROM letter_copies WHERE " + strings.Join(or, " OR ") + ") cc CROSS JOIN letters l", args
	case s.FollowedBy != "":
		return "(SELECT letter_id FROM web_follows WHERE user_id = ?) cc CROSS JOIN letters l", []any{s.FollowedBy}
	}
	return "letters l", nil
}

func (s BasketScope) conds(today string) ([]string, []any) {
	var conds []string
	var args []any
	if s.None {
		return []string{"1 = 0"}, nil
	}
	if s.CopyUser != "" || len(s.CopyEntities) > 0 || s.FollowedBy != "" {
		conds = append(conds, "l.id = cc.letter_id")
	}
	statuses := s.Statuses
	if s.Overdue {
		// "Not closed" as a list: the (tenant, status, due date) index
		// serves a list, not an inequality.
		var open []domain.Status
		for _, st := range []domain.Status{domain.StatusNew, domain.StatusInProgress} {
			if len(statuses) == 0 || slices.Contains(statuses, st) {
				open = append(open, st)
			}
		}
		statuses = open
		if len(statuses) == 0 {
			return []string{"1 = 0"}, nil
		}
	}
	if len(statuses) > 0 {
		conds = append(conds, "l.status IN ("+placeholders(len(statuses))+")")
		for _, st := range statuses {
			args = append(args, string(st))
		}
	}
	if s.Overdue {
		conds = append(conds, "l.due_date > '' AND l.due_date < ?")
		args = append(args, today)
	}
	if s.AssigneeID != "" {
		conds = append(conds, "l.assignee_id = ?")
		args = append(args, s.AssigneeID)
	}
	if len(s.Entities) > 0 {
		conds = append(conds, "l.entity_id IN ("+placeholders(len(s.Entities))+")")
		for _, e := range s.Entities {
			args = append(args, e)
		}
	}
	return conds, args
}

// filterConds is the part of a LetterFilter that Letters applies, for
// basket lists that add a scope to it.
func (r rd) filterConds(f LetterFilter) (conds []string, args []any, empty bool) {
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if f.Category != "" {
		add("l.category = ?", string(f.Category))
	}
	if f.Status != "" {
		add("l.status = ?", string(f.Status))
	}
	if f.EntityID != "" {
		add("l.entity_id = ?", f.EntityID)
	}
	if f.DoctypeID != "" {
		add("l.doctype_id = ?", f.DoctypeID)
	}
	if f.AssigneeID != "" {
		add("l.assignee_id = ?", f.AssigneeID)
	}
	if f.From != "" {
		add("l.arrival_date >= ?", f.From)
	}
	if f.To != "" {
		add("l.arrival_date <= ?", f.To)
	}
	if f.Overdue {
		add("l.status <> 'closed' AND l.due_date <> '' AND l.due_date < ?", f.Today)
	}
	if strings.TrimSpace(f.Query) != "" {
		terms := ParseQuery(f.Query)
		if len(terms) == 0 {
			return nil, nil, true
		}
		c, a := r.d.(searcher).match(terms)
		add(c, a...)
	}
	return conds, args, false
}

// basketQuery returns the FROM source, the WHERE condition and their
// arguments, in the order they appear, and whether the filter matches
// nothing at all.
func (r PrefsReader) basketQuery(p Perimeter, s BasketScope, f LetterFilter) (string, string, []any, bool) {
	src, args := s.source()
	where, pa := p.clause()
	sc, sa := s.conds(f.Today)
	fc, fa, empty := r.filterConds(f)
	for _, c := range append(sc, fc...) {
		where += " AND " + c
	}
	return src, where, append(append(append(args, pa...), sa...), fa...), empty
}

// BasketLetters lists the letters of the perimeter in the basket's scope
// that match f, with the total for pagination, counted up to countLimit
// (0: all of them).
func (r PrefsReader) BasketLetters(ctx context.Context, p Perimeter, s BasketScope, f LetterFilter, countLimit int) ([]domain.Letter, int, error) {
	src, where, args, empty := r.basketQuery(p, s, f)
	if empty {
		return []domain.Letter{}, 0, nil
	}
	total, err := r.count(ctx, src, where, args, countLimit)
	if err != nil {
		return nil, 0, fmt.Errorf("count basket: %w", err)
	}
	keys, ok := sortColumns[f.Sort]
	if !ok {
		return nil, 0, fmt.Errorf("tri %q inconnu", f.Sort)
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	order := strings.Join(keys, dir+", ") + dir + ", l.seq" + dir
	inner := order
	if total <= smallBasket {
		// A short list is found by its filter's index and sorted; left to
		// itself the planner walks the arrival index from the newest letter
		// to the oldest looking for them.
		inner = strings.Join(unindexed(keys), dir+", ") + dir + ", l.seq" + dir
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit, f.Offset)
	// The page's letters are chosen on their keys alone, then read whole:
	// a sort then carries sequence numbers, not 10,000 letters.
	joins := ""
	switch f.Sort {
	case "sender":
		joins = ` LEFT JOIN contacts s ON s.id = l.sender_id`
	case "entity":
		joins = ` LEFT JOIN entities e ON e.id = l.entity_id`
	}
	page := `SELECT l.seq FROM ` + src + joins + ` WHERE ` + where + ` ORDER BY ` + inner + ` LIMIT ? OFFSET ?`
	rows, err := r.query(ctx, `SELECT `+letterCols+letterJoins+` WHERE l.seq IN (`+page+`) ORDER BY `+order, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list basket: %w", err)
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

// smallBasket is the size under which a list is sorted after filtering
// rather than read in the order of an index.
const smallBasket = 5000

// unindexed turns sort keys that an index could serve into expressions
// that sort the same but that no index serves.
func unindexed(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k {
		case "l.arrival_date", "l.category":
			out[i] = "(" + k + " || '')"
		case "l.year", "l.num", "l.seq":
			out[i] = "(" + k + " + 0)"
		default:
			out[i] = k
		}
	}
	return out
}

// CountBasket counts the letters of the perimeter in the basket's scope, up
// to limit (0: no limit): a menu needs "more than 999", not the 80,000th
// closed letter.
func (r PrefsReader) CountBasket(ctx context.Context, p Perimeter, s BasketScope, today string, limit int) (int, error) {
	src, where, args, _ := r.basketQuery(p, s, LetterFilter{Today: today})
	return r.count(ctx, src, where, args, limit)
}

func (r PrefsReader) count(ctx context.Context, src, where string, args []any, limit int) (int, error) {
	q := `SELECT COUNT(*) FROM ` + src + ` WHERE ` + where
	if limit > 0 {
		q = `SELECT COUNT(*) FROM (SELECT 1 FROM ` + src + ` WHERE ` + where + ` LIMIT ?) x`
		args = append(slices.Clip(args), limit)
	}
	var n int
	err := r.queryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// ArrivalsPerDay counts the letters of the perimeter in the scope arrived
// on each day from from to to inclusive; days without letters are absent.
func (r PrefsReader) ArrivalsPerDay(ctx context.Context, p Perimeter, s BasketScope, from, to string) (map[string]int, error) {
	src, where, args, _ := r.basketQuery(p, s, LetterFilter{From: from, To: to})
	rows, err := r.query(ctx, `SELECT l.arrival_date, COUNT(*) FROM `+src+` WHERE `+where+` GROUP BY l.arrival_date`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		out[d] = n
	}
	return out, rows.Err()
}

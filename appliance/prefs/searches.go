package prefs

import (
	"context"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// SavedSearches lists the actor's saved searches.
func (s *Prefs) SavedSearches(ctx context.Context, a *kernel.Actor) ([]store.SavedSearch, error) {
	return s.k.Reader().SavedSearches(ctx, a.TenantID(), a.ID())
}

// SaveSearch names a search (the search page's query string) for the
// actor; a search of the same name is replaced.
func (s *Prefs) SaveSearch(ctx context.Context, a *kernel.Actor, name, query string) (*store.SavedSearch, error) {
	errs := kernel.FieldErrors{}
	name = strings.TrimSpace(name)
	kernel.CheckLen(errs, "name", name, 100, true)
	kernel.CheckLen(errs, "query", query, 2000, false)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindSearchSave, a.TenantID(), a.ID(), SearchSave{ID: kernel.NewID(), Name: name, Query: query})
	if err != nil {
		return nil, err
	}
	return v.(*store.SavedSearch), nil
}

func (s *Prefs) DeleteSearch(ctx context.Context, a *kernel.Actor, id string) error {
	_, err := s.k.Propose(ctx, KindSearchDelete, a.TenantID(), a.ID(), SearchDelete{ID: id})
	return err
}

// WeekCount is the number of letters arrived in one ISO week.
type WeekCount struct {
	Year, Week int
	Monday     string // YYYY-MM-DD
	Count      int
}

// ArrivalsPerWeek counts the letters arrived in each of the last n ISO
// weeks, the current one last, within the actor's perimeter.
func (s *Prefs) ArrivalsPerWeek(ctx context.Context, a *kernel.Actor, n int) ([]WeekCount, error) {
	today := s.k.Today()
	// ISO weeks start on Monday; Go's Sunday is 0.
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	first := monday.AddDate(0, 0, -7*(n-1))
	// The mail room and administrators see the town's mail; the others,
	// their services'.
	sc := store.BasketScope{}
	if lateScope(a.Role()) == ScopeService {
		sc.Entities, sc.None = a.Perimeter.Entities, len(a.Perimeter.Entities) == 0
	}
	days, err := s.k.Reader().ArrivalsPerDay(ctx, a.Perimeter, sc, first.Format(domain.DateLayout), today.Format(domain.DateLayout))
	if err != nil {
		return nil, err
	}
	out := make([]WeekCount, n)
	for i := range out {
		m := first.AddDate(0, 0, 7*i)
		y, w := m.ISOWeek()
		out[i] = WeekCount{Year: y, Week: w, Monday: m.Format(domain.DateLayout)}
	}
	for d, c := range days {
		t, err := time.Parse(domain.DateLayout, d)
		if err != nil {
			continue
		}
		if i := int(t.Sub(first).Hours()/24) / 7; i >= 0 && i < n {
			out[i].Count += c
		}
	}
	return out, nil
}

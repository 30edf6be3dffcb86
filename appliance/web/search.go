package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/domain"
	"missive/appliance/store"
)

type searchData struct {
	Searched bool
	List     listView
	Entities []domain.Entity
	Doctypes []domain.Doctype
	Users    []domain.User
	Saved    []store.SavedSearch
	// Query is this search's query string, without its page, to save it.
	Query string
}

var searchParams = []string{"q", "category", "status", "entity", "doctype", "assignee", "from", "to", "overdue"}

// search is the search page: one full-text box, Maarch style, and filters,
// with the same parameter names as the JSON API.
func (s *Server) search(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	d := searchData{}
	var err error
	if d.Entities, err = s.svc.Entities(ctx, q.actor); err != nil {
		return err
	}
	if d.Doctypes, err = s.svc.Doctypes(ctx, q.actor); err != nil {
		return err
	}
	if d.Users, err = activeUsers(ctx, s.svc, q.actor); err != nil {
		return err
	}
	if d.Saved, err = s.svc.SavedSearches(ctx, q.actor); err != nil {
		return err
	}
	qs := r.URL.Query()
	for _, p := range searchParams {
		if qs.Get(p) != "" {
			d.Searched = true
		}
	}
	v := s.page(w, r, q, tr(q.lang, "search.title"), "search", &d)
	v.Form = qs
	if !d.Searched {
		s.render(w, q, http.StatusOK, "search", v)
		return nil
	}
	f, err := api.ParseFilter(r)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		d.Searched = false
		v.Errors = fe
		s.render(w, q, http.StatusUnprocessableEntity, "search", v)
		return nil
	}
	if f.Sort == "" {
		f.Sort, f.Desc = "arrival", qs.Get("desc") != "false"
	}
	page := pageParam(r)
	f.Limit, f.Offset = perPage, (page-1)*perPage
	ls, total, err := s.svc.Letters(ctx, q.actor, f)
	if err != nil {
		return err
	}
	d.List = s.list(r, q.lang, ls, total, f, page)
	d.List.Caption = tr(q.lang, "search.resultstitle")
	saved := url.Values{}
	for _, p := range append(slices.Clone(searchParams), "sort", "desc") {
		if x := qs.Get(p); x != "" {
			saved.Set(p, x)
		}
	}
	d.Query = saved.Encode()
	s.render(w, q, http.StatusOK, "search", v)
	return nil
}

func (s *Server) saveSearch(w http.ResponseWriter, r *http.Request, q *request) error {
	query := strings.TrimPrefix(r.PostFormValue("query"), "?")
	if _, err := url.ParseQuery(query); err != nil {
		return appliance.FieldErrors{"query": "recherche invalide"}
	}
	_, err := s.svc.SaveSearch(r.Context(), q.actor, r.PostFormValue("name"), query)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.doneErr(w, r, q, "/search?"+query, tr(q.lang, "search.savename")+" "+fe.Error())
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/search?"+query, tf(q.lang, "search.saved", strings.TrimSpace(r.PostFormValue("name"))))
}

func (s *Server) deleteSearch(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.svc.DeleteSearch(r.Context(), q.actor, r.PathValue("id")); err != nil {
		return err
	}
	return s.done(w, r, q, "/search", tr(q.lang, "search.deleted"))
}

// activeUsers are those a letter can be sent or copied to.
func activeUsers(ctx context.Context, svc service, a *appliance.Actor) ([]domain.User, error) {
	us, err := svc.Users(ctx, a)
	if err != nil {
		return nil, err
	}
	us = slices.DeleteFunc(us, func(u domain.User) bool { return u.Disabled })
	slices.SortFunc(us, func(a, b domain.User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return us, nil
}

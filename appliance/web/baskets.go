package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

type homeData struct {
	Late  listView
	Chart chartView
	// LateBasket is the user's basket of late letters, if they have one.
	LateBasket string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	late, total, err := s.svc.LateLetters(ctx, q.actor, 10, navCountCap)
	if err != nil {
		return err
	}
	f := store.LetterFilter{Sort: "due"}
	weeks, err := s.svc.ArrivalsPerWeek(ctx, q.actor, 12)
	if err != nil {
		return err
	}
	d := homeData{Late: s.list(r, q.lang, late, total, f, 1), Chart: chart(q.lang, weeks)}
	d.Late.Caption = tr(q.lang, "home.late")
	if total >= navCountCap {
		d.Late.TotalText = strconv.Itoa(navCountCap-1) + "+"
	}
	if _, err := s.svc.Basket(ctx, q.actor, "late"); err == nil {
		d.LateBasket = "late"
	}
	s.render(w, q, http.StatusOK, "home", s.page(w, r, q, tr(q.lang, "home.title"), "home", d))
	return nil
}

type basketData struct {
	Basket   *appliance.BasketDef
	Label    string
	List     listView
	Actions  []string
	Entities []domain.Entity
	Users    []domain.User
	Return   string
}

func (s *Server) basket(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showBasket(w, r, q, http.StatusOK, nil)
}

func (s *Server) showBasket(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	ctx := r.Context()
	b, err := s.svc.Basket(ctx, q.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	sort, desc := sortParams(r)
	page := pageParam(r)
	f := store.LetterFilter{Sort: sort, Desc: desc, Limit: perPage, Offset: (page - 1) * perPage}
	ls, total, err := s.svc.BasketLetters(ctx, q.actor, b, f)
	if err != nil {
		return err
	}
	d := basketData{Basket: b, Label: basketLabel(q.lang, b), List: s.list(r, q.lang, ls, total, f, page), Actions: b.Actions, Return: r.URL.RequestURI()}
	d.List.Selectable = len(b.Actions) > 0
	d.List.Caption = d.Label
	if b.Allows(appliance.ActionRedirect) {
		if d.Entities, err = s.svc.Entities(ctx, q.actor); err != nil {
			return err
		}
		if d.Users, err = activeUsers(ctx, s.svc, q.actor); err != nil {
			return err
		}
	}
	v := s.page(w, r, q, d.Label, b.ID, d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "basket", v)
	return nil
}

// basketAction applies one of the basket's actions to the selected letters,
// each through the Service, which checks the user's rights on each letter.
func (s *Server) basketAction(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	b, err := s.svc.Basket(ctx, q.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	action := r.PostFormValue("action")
	if !b.Allows(action) {
		return fmt.Errorf("%w: action non proposée dans cette bannette", appliance.ErrForbidden)
	}
	ids := r.PostForm["id"]
	in := appliance.RedirectInput{EntityID: r.PostFormValue("entity_id"), AssigneeID: r.PostFormValue("assignee_id"), Note: r.PostFormValue("note")}
	errs := appliance.FieldErrors{}
	switch {
	case len(ids) == 0:
		errs["id"] = tr(q.lang, "basket.none")
	case len(ids) > 200:
		errs["id"] = tr(q.lang, "basket.toomany")
	}
	if action == appliance.ActionRedirect && in.EntityID == "" && in.AssigneeID == "" {
		errs["entity_id"] = "choisissez une entité ou un destinataire"
	}
	if len(errs) > 0 {
		// The list is read again from the page the form was on.
		r.URL.RawQuery = queryOf(r.PostFormValue("return"))
		return s.showBasket(w, r, q, http.StatusUnprocessableEntity, errs)
	}
	var ok int
	var failed []string
	for _, id := range ids {
		if err := s.apply(r, q, action, id, in); err != nil {
			what := id
			if l, e := s.svc.Letter(ctx, q.actor, id); e == nil {
				what = l.Number
			}
			failed = append(failed, what+" : "+message(err))
			continue
		}
		ok++
	}
	back := localPath(r.PostFormValue("return"))
	if !strings.HasPrefix(back, "/baskets/") {
		back = "/baskets/" + b.ID
	}
	msg := tf(q.lang, "basket.done", ok)
	if len(failed) > 0 {
		return s.doneErr(w, r, q, back, msg+" "+tr(q.lang, "basket.failed")+" "+strings.Join(failed, " ; "))
	}
	return s.done(w, r, q, back, msg)
}

func (s *Server) apply(r *http.Request, q *request, action, id string, in appliance.RedirectInput) error {
	ctx, a := r.Context(), q.actor
	switch action {
	case appliance.ActionTake:
		_, err := s.svc.Redirect(ctx, a, id, appliance.RedirectInput{AssigneeID: a.ID()})
		return err
	case appliance.ActionRedirect:
		_, err := s.svc.Redirect(ctx, a, id, in)
		return err
	case appliance.ActionClose:
		_, err := s.svc.Close(ctx, a, id, in.Note)
		return err
	case appliance.ActionReopen:
		_, err := s.svc.Reopen(ctx, a, id, in.Note)
		return err
	case appliance.ActionFollow:
		err := s.svc.Follow(ctx, a, id)
		if errors.Is(err, appliance.ErrConflict) {
			return nil
		}
		return err
	case appliance.ActionUnfollow:
		err := s.svc.Unfollow(ctx, a, id)
		if errors.Is(err, appliance.ErrConflict) {
			return nil
		}
		return err
	}
	return fmt.Errorf("%w: action %q inconnue", appliance.ErrInvalid, action)
}

// message is an error as a person reads it.
func message(err error) string {
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return fe.Error()
	}
	switch {
	case errors.Is(err, appliance.ErrNotFound):
		return "introuvable"
	case errors.Is(err, appliance.ErrForbidden), errors.Is(err, appliance.ErrConflict), errors.Is(err, appliance.ErrInvalid):
		return err.Error()
	}
	return "erreur interne"
}

func queryOf(u string) string {
	_, q, _ := strings.Cut(localPath(u), "?")
	return q
}

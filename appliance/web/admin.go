package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
)

// The administration pages: users, the entity tree, doctypes and the
// baskets of each role. The Service refuses every change to a non-admin;
// the pages also refuse to show themselves.

func requireAdmin(q *request) error {
	if !q.actor.IsAdmin() {
		return fmt.Errorf("%w: réservé aux administrateurs", appliance.ErrForbidden)
	}
	return nil
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

// entityNode is one entity of the tree, with its depth for indentation.
type entityNode struct {
	domain.Entity
	Depth    int
	Children []*entityNode
}

// tree orders entities as a tree: roots by name, children under their
// parent. An entity whose parent is unknown is shown as a root.
func tree(es []domain.Entity) []*entityNode {
	byID := map[string]*entityNode{}
	for _, e := range es {
		byID[e.ID] = &entityNode{Entity: e}
	}
	var roots []*entityNode
	for _, e := range es {
		n := byID[e.ID]
		if p, ok := byID[e.ParentID]; ok && e.ParentID != e.ID {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// flatten lists the tree depth first, for indented selects.
// orgChoices are the entity tree and the doctypes that admin forms offer,
// with the names their tables show for ids.
type orgChoices struct {
	Entities []*entityNode
	Doctypes []domain.Doctype
	Names    map[string]string // entity and doctype ids → names
}

func (s *Server) orgChoices(ctx context.Context, a *appliance.Actor) (orgChoices, error) {
	es, err := s.svc.Entities(ctx, a)
	if err != nil {
		return orgChoices{}, err
	}
	dts, err := s.svc.Doctypes(ctx, a)
	if err != nil {
		return orgChoices{}, err
	}
	o := orgChoices{Entities: flatten(tree(es), 0, nil), Doctypes: dts, Names: map[string]string{}}
	for _, e := range es {
		o.Names[e.ID] = e.Name
	}
	for _, dt := range dts {
		o.Names[dt.ID] = dt.Label
	}
	return o, nil
}

func flatten(ns []*entityNode, depth int, out []*entityNode) []*entityNode {
	for _, n := range ns {
		n.Depth = depth
		out = append(out, n)
		if depth < 20 {
			out = flatten(n.Children, depth+1, out)
		}
	}
	return out
}

type usersData struct {
	Users    []domain.User
	Entities []*entityNode
	Names    map[string]string
	Roles    []domain.Role
	User     *domain.User // the user edited
}

func (s *Server) usersData(r *http.Request, q *request) (*usersData, error) {
	ctx := r.Context()
	us, err := s.svc.Users(ctx, q.actor)
	if err != nil {
		return nil, err
	}
	es, err := s.svc.Entities(ctx, q.actor)
	if err != nil {
		return nil, err
	}
	d := &usersData{Users: us, Entities: flatten(tree(es), 0, nil), Names: map[string]string{}, Roles: domain.Roles}
	for _, e := range es {
		d.Names[e.ID] = e.Name
	}
	return d, nil
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showUsers(w, r, q, http.StatusOK, nil)
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	d, err := s.usersData(r, q)
	if err != nil {
		return err
	}
	v := s.page(w, r, q, tr(q.lang, "admin.users"), "admin-users", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_users", v)
	return nil
}

// memberships reads the entity checkboxes: member of, and manager of.
func memberships(f url.Values) []domain.Membership {
	var out []domain.Membership
	manager := f["manager"]
	seen := map[string]bool{}
	for _, id := range append(slices.Clone(f["member"]), manager...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, domain.Membership{EntityID: id, Manager: slices.Contains(manager, id)})
	}
	return out
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	f := r.PostForm
	u, err := s.svc.CreateUser(r.Context(), q.actor, appliance.UserInput{Login: strings.TrimSpace(f.Get("login")), Name: f.Get("name"), Email: strings.TrimSpace(f.Get("email")),
		Role: domain.Role(f.Get("role")), Password: f.Get("password"), Entities: memberships(f)})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showUsers(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if errors.Is(err, appliance.ErrConflict) {
		return s.showUsers(w, r, q, http.StatusConflict, appliance.FieldErrors{"login": "cet identifiant existe déjà"})
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/users", tf(q.lang, "admin.usercreated", u.Login))
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showUser(w, r, q, http.StatusOK, "", nil)
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request, q *request, code int, form string, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	d, err := s.usersData(r, q)
	if err != nil {
		return err
	}
	for i := range d.Users {
		if d.Users[i].ID == r.PathValue("id") {
			d.User = &d.Users[i]
		}
	}
	if d.User == nil {
		return errNotFound
	}
	v := s.page(w, r, q, d.User.Name, "admin-users", d)
	if errs != nil {
		v.Errors, v.Form = prefixed(form, errs), prefixedValues(form, r.PostForm)
	}
	s.render(w, q, code, "admin_user", v)
	return nil
}

func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	f := r.PostForm
	id := r.PathValue("id")
	u, err := s.svc.UpdateUser(r.Context(), q.actor, id, appliance.UserInput{Name: f.Get("name"), Email: strings.TrimSpace(f.Get("email")),
		Role: domain.Role(f.Get("role")), Disabled: f.Get("disabled") != "", Entities: memberships(f)})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showUser(w, r, q, http.StatusUnprocessableEntity, "user", fe)
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		// A disabled account's open sessions are refused at the next
		// request already (ActorFor); this also kills them if re-enabled.
		if _, err := s.svc.RevokeSessions(r.Context(), q.actor, u.ID); err != nil {
			return err
		}
	}
	return s.done(w, r, q, "/admin/users/"+url.PathEscape(id), tf(q.lang, "admin.userupdated", u.Login))
}

func (s *Server) adminSetPassword(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	id := r.PathValue("id")
	err := s.svc.SetPassword(r.Context(), q.actor, id, r.PostFormValue("password"))
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showUser(w, r, q, http.StatusUnprocessableEntity, "pw", fe)
	}
	if err != nil {
		return err
	}
	// The user's sessions and tokens ended with the password (SetPassword).
	return s.done(w, r, q, "/admin/users/"+url.PathEscape(id), tr(q.lang, "admin.pwset"))
}

func (s *Server) adminRevokeSessions(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.svc.RevokeSessions(r.Context(), q.actor, id); err != nil {
		return err
	}
	target := "/admin/users/" + url.PathEscape(id)
	if id == q.actor.ID() {
		target = "/login"
	}
	return s.done(w, r, q, target, tr(q.lang, "admin.revoked"))
}

type entitiesData struct {
	Tree []*entityNode
	Flat []*entityNode
}

func (s *Server) adminEntities(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showEntities(w, r, q, http.StatusOK, nil)
}

func (s *Server) showEntities(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	es, err := s.svc.Entities(r.Context(), q.actor)
	if err != nil {
		return err
	}
	t := tree(es)
	d := &entitiesData{Tree: t, Flat: flatten(t, 0, nil)}
	v := s.page(w, r, q, tr(q.lang, "admin.entities"), "admin-entities", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_entities", v)
	return nil
}

func (s *Server) adminCreateEntity(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	f := r.PostForm
	e, err := s.svc.CreateEntity(r.Context(), q.actor, appliance.EntityInput{ParentID: f.Get("parent_id"), Code: strings.TrimSpace(f.Get("code")),
		Name: f.Get("name"), Email: strings.TrimSpace(f.Get("email")), Address: f.Get("address"), Phone: f.Get("phone")})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showEntities(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if errors.Is(err, appliance.ErrConflict) {
		return s.showEntities(w, r, q, http.StatusConflict, appliance.FieldErrors{"code": "ce code existe déjà"})
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/entities", tf(q.lang, "admin.entitycreated", e.Name))
}

type basketRow struct {
	Index    int
	Keep     bool
	Builtin  bool
	Position int
	Def      appliance.BasketDef
}

type basketsData struct {
	Role     domain.Role
	Roles    []domain.Role
	Rows     []basketRow
	Scopes   []string
	Statuses []domain.Status
	Actions  []string
}

var builtinOrder = []string{"qualify", "mine", "service", "copy", "late", "followed", "closed"}

func (s *Server) adminBaskets(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showBaskets(w, r, q, http.StatusOK, domain.Role(r.URL.Query().Get("role")), nil)
}

func (s *Server) showBaskets(w http.ResponseWriter, r *http.Request, q *request, code int, role domain.Role, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	if !role.Valid() {
		role = domain.RoleAgent
	}
	bs, err := s.svc.RoleBaskets(r.Context(), q.actor.TenantID(), role)
	if err != nil {
		return err
	}
	d := &basketsData{Role: role, Roles: domain.Roles, Scopes: appliance.Scopes, Actions: appliance.Actions,
		Statuses: []domain.Status{domain.StatusNew, domain.StatusInProgress, domain.StatusClosed}}
	have := map[string]bool{}
	for _, b := range bs {
		_, builtin := appliance.BuiltinBasket(b.ID)
		d.Rows = append(d.Rows, basketRow{Keep: true, Builtin: builtin, Def: b})
		have[b.ID] = true
	}
	for _, id := range builtinOrder {
		if b, _ := appliance.BuiltinBasket(id); !have[id] {
			d.Rows = append(d.Rows, basketRow{Builtin: true, Def: b})
		}
	}
	d.Rows = append(d.Rows, basketRow{Def: appliance.BasketDef{Filter: appliance.BasketFilter{Scope: appliance.ScopeAll}}})
	for i := range d.Rows {
		d.Rows[i].Index, d.Rows[i].Position = i, i+1
	}
	v := s.page(w, r, q, tr(q.lang, "admin.baskets"), "admin-baskets", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_baskets", v)
	return nil
}

// adminSetBaskets reads the baskets table: one row per basket, kept when
// ticked, in the order of their position numbers.
func (s *Server) adminSetBaskets(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	f := r.PostForm
	role := domain.Role(f.Get("role"))
	var defs []appliance.BasketDef
	if f.Get("reset") == "" {
		type kept struct {
			row, pos int
			def      appliance.BasketDef
		}
		var ks []kept
		n, _ := strconv.Atoi(f.Get("n"))
		for i := 0; i < min(n, 60); i++ {
			p := "b" + strconv.Itoa(i) + "."
			if f.Get(p+"keep") == "" {
				continue
			}
			b := appliance.BasketDef{ID: strings.TrimSpace(f.Get(p + "id")), Label: f.Get(p + "label"), Actions: f[p+"actions"],
				Filter: appliance.BasketFilter{Scope: f.Get(p + "scope"), Overdue: f.Get(p+"overdue") != ""}}
			for _, st := range f[p+"status"] {
				b.Filter.Statuses = append(b.Filter.Statuses, domain.Status(st))
			}
			pos, err := strconv.Atoi(f.Get(p + "position"))
			if err != nil {
				pos = i + 1
			}
			ks = append(ks, kept{i, pos, b})
		}
		sort.SliceStable(ks, func(i, j int) bool { return ks[i].pos < ks[j].pos })
		if len(ks) == 0 {
			return s.showBaskets(w, r, q, http.StatusUnprocessableEntity, role, appliance.FieldErrors{"baskets": tr(q.lang, "admin.basketsnone")})
		}
		rowOf := make([]int, len(ks))
		for i, k := range ks {
			defs = append(defs, k.def)
			rowOf[i] = k.row
		}
		err := s.svc.SetBaskets(r.Context(), q.actor, role, defs)
		var fe appliance.FieldErrors
		if errors.As(err, &fe) {
			// The Service numbers the kept baskets; the page, its rows.
			errs := appliance.FieldErrors{}
			for k, v := range fe {
				var i int
				var field string
				if _, err := fmt.Sscanf(strings.Replace(k, ".", " ", 2), "baskets %d %s", &i, &field); err == nil && i < len(rowOf) {
					k = "b" + strconv.Itoa(rowOf[i]) + "." + field
				}
				errs[k] = v
			}
			return s.showBaskets(w, r, q, http.StatusUnprocessableEntity, role, errs)
		}
		if err != nil {
			return err
		}
		return s.done(w, r, q, "/admin/baskets?role="+url.QueryEscape(string(role)), tr(q.lang, "admin.basketsset"))
	}
	if err := s.svc.SetBaskets(r.Context(), q.actor, role, nil); err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/baskets?role="+url.QueryEscape(string(role)), tr(q.lang, "admin.basketsreset"))
}

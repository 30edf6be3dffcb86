package appliance_test

import (
	"encoding/json"
	"errors"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

var communeInput = appliance.TenantInput{Name: "Ville de Saint-Martin", Address: " 1 place de la Mairie \r\n\r\n67000 Saint-Martin ",
	Phone: "03 88 00 00 00", Email: "mairie@saint-martin.fr", Website: "https://www.saint-martin.fr"}

// TestCommuneDetails: an administrator sets the commune's name and contact
// details; bad values are refused field by field in French and change
// nothing; others may read them but not change them.
func TestCommuneDetails(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		got, err := env.Svc.UpdateTenant(ctx, env.Admin, communeInput)
		if err != nil {
			t.Fatal(err)
		}
		want := domain.Tenant{ID: "default", Name: "Ville de Saint-Martin", Address: "1 place de la Mairie\n67000 Saint-Martin", Phone: "03 88 00 00 00",
			Email: "mairie@saint-martin.fr", Website: "https://www.saint-martin.fr", CreatedAt: got.CreatedAt}
		if *got != want {
			t.Fatalf("updated %+v\nwant %+v", got, want)
		}
		h, err := env.Svc.TenantHistory(ctx, env.Admin, 1000, 0)
		if err != nil || h[len(h)-1].Kind != string(appliance.KindTenantUpdate) || h[len(h)-1].Summary != "Commune « Ville de Saint-Martin » modifiée" {
			t.Fatalf("history: %+v, %v", h[len(h)-1], err)
		}
		agent := env.user(t, "agent", domain.RoleAgent)
		if read, err := env.Svc.Tenant(ctx, agent); err != nil || *read != want {
			t.Fatalf("read back by an agent: %+v, %v", read, err)
		}
		if _, err := env.Svc.UpdateTenant(ctx, agent, communeInput); !errors.Is(err, appliance.ErrForbidden) {
			t.Errorf("an agent changed the commune: %v", err)
		}

		for _, c := range []struct {
			in    appliance.TenantInput
			field string
			msg   string
		}{
			{appliance.TenantInput{Name: " "}, "name", "obligatoire"},
			{appliance.TenantInput{Name: "X", Email: "mairie@"}, "email", "adresse e-mail invalide"},
			{appliance.TenantInput{Name: "X", Phone: "appeler l'accueil"}, "phone", "chiffres, espaces et + . - ( ) seulement, ex. 03 88 00 00 00"},
			{appliance.TenantInput{Name: "X", Website: "ftp://ville.fr"}, "website", "adresse de site invalide, ex. https://www.ville.fr"},
			{appliance.TenantInput{Name: "X", Website: "ville"}, "website", "adresse de site invalide, ex. https://www.ville.fr"},
			{appliance.TenantInput{Name: "X", Address: "1\n2\n3\n4\n5\n6\n7"}, "address", "6 lignes au plus"},
		} {
			_, err := env.Svc.UpdateTenant(ctx, env.Admin, c.in)
			var fe appliance.FieldErrors
			if !errors.As(err, &fe) || fe[c.field] != c.msg {
				t.Errorf("update %+v: %v, want %s: %q", c.in, err, c.field, c.msg)
			}
		}
		if read, _ := env.Svc.Tenant(ctx, env.Admin); *read != want {
			t.Errorf("a refused change changed the commune: %+v", read)
		}
		if _, err := env.Svc.UpdateTenant(ctx, env.Admin, appliance.TenantInput{Name: "Saint-Martin", Website: "www.saint-martin.fr"}); err != nil {
			t.Errorf("a site without its scheme: %v", err)
		}
		if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindTenantUpdate, appliance.TenantUpdate{Name: ""}); !errors.Is(r.Err, appliance.ErrInvalid) {
			t.Errorf("apply a nameless commune: %v", r.Err)
		}
	})
}

// TestServiceInCharge: the service in charge of a letter is reached by
// its own postal address, e-mail and phone, each inherited from the parent
// entity when empty, then from the commune.
func TestServiceInCharge(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		if _, err := env.Svc.UpdateTenant(ctx, env.Admin, communeInput); err != nil {
			t.Fatal(err)
		}
		tech, err := env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{Code: "ST", Name: "Services techniques", Address: "Centre technique\n2 rue des Ateliers\n67000 Saint-Martin",
			Phone: "03 88 00 00 10"})
		if err != nil {
			t.Fatal(err)
		}
		voirie, err := env.Svc.CreateEntity(ctx, env.Admin, appliance.EntityInput{ParentID: tech.ID, Code: "VOIRIE", Name: "Voirie", Email: "voirie@saint-martin.fr"})
		if err != nil {
			t.Fatal(err)
		}
		sis := func(id string) appliance.ServiceDetails {
			t.Helper()
			d, err := env.Svc.ServiceInCharge(ctx, "default", id)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for _, c := range []struct {
			name string
			id   string
			want appliance.ServiceDetails
		}{
			{"own e-mail, parent's address and phone", voirie.ID, appliance.ServiceDetails{Name: "Voirie", Address: "Centre technique\n2 rue des Ateliers\n67000 Saint-Martin",
				Email: "voirie@saint-martin.fr", Phone: "03 88 00 00 10"}},
			{"own address and phone, the commune's e-mail", tech.ID, appliance.ServiceDetails{Name: "Services techniques",
				Address: "Centre technique\n2 rue des Ateliers\n67000 Saint-Martin", Email: "mairie@saint-martin.fr", Phone: "03 88 00 00 10"}},
			{"no entity: the mail room at the commune's", "", appliance.ServiceDetails{Name: "Service courrier", Address: "1 place de la Mairie\n67000 Saint-Martin",
				Email: "mairie@saint-martin.fr", Phone: "03 88 00 00 00"}},
		} {
			if got := sis(c.id); got != c.want {
				t.Errorf("%s: %+v\nwant %+v", c.name, got, c.want)
			}
		}

		// The parent's own phone changes; the child, which has none, follows.
		u, err := env.Svc.UpdateEntity(ctx, env.Admin, tech.ID, appliance.EntityInput{Code: "ST", Name: "Services techniques municipaux", Phone: "03 88 00 00 20"})
		if err != nil || u.Code != "ST" || u.Address != "" || u.Phone != "03 88 00 00 20" {
			t.Fatalf("update: %+v, %v", u, err)
		}
		if got := sis(voirie.ID); got.Phone != "03 88 00 00 20" || got.Address != "1 place de la Mairie\n67000 Saint-Martin" {
			t.Errorf("after the parent's change: %+v", got)
		}
		for _, c := range []struct {
			in    appliance.EntityInput
			field string
		}{
			{appliance.EntityInput{Code: "AUTRE", Name: "X"}, "code"},
			{appliance.EntityInput{ParentID: voirie.ID, Name: "X"}, "parent_id"},
			{appliance.EntityInput{Name: ""}, "name"},
			{appliance.EntityInput{Name: "X", Phone: "poste 12"}, "phone"},
			{appliance.EntityInput{Name: "X", Email: "pas une adresse"}, "email"},
		} {
			_, err := env.Svc.UpdateEntity(ctx, env.Admin, tech.ID, c.in)
			var fe appliance.FieldErrors
			if !errors.As(err, &fe) || fe[c.field] == "" {
				t.Errorf("update %+v: %v, want a field error on %s", c.in, err, c.field)
			}
		}
		agent := env.user(t, "agent2", domain.RoleAgent)
		if _, err := env.Svc.UpdateEntity(ctx, agent, tech.ID, appliance.EntityInput{Name: "X"}); !errors.Is(err, appliance.ErrForbidden) {
			t.Errorf("an agent changed an entity: %v", err)
		}
		if _, err := env.Svc.UpdateEntity(ctx, env.Admin, "inconnue", appliance.EntityInput{Name: "X"}); !errors.Is(err, appliance.ErrNotFound) {
			t.Errorf("unknown entity: %v", err)
		}
		// An entity.create without the new fields encodes as older ones did.
		b, _ := json.Marshal(appliance.EntityCreate{ID: "e", Code: "C", Name: "N"})
		if string(b) != `{"id":"e","parent_id":"","code":"C","name":"N","email":""}` {
			t.Errorf("entity.create encodes as %s", b)
		}
	})
}

// TestAlsaceMoselleSwitch: switching the Alsace-Moselle holidays on or off
// counts for the letters registered from then on; the due dates of open
// letters stay as they were.
func TestAlsaceMoselleSwitch(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		dt, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "UN-JOUR", Label: "Un jour", DelayDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		// Wednesday 24 December 2025: Christmas, then Saint-Étienne in
		// Alsace-Moselle only, then a weekend.
		reg := func(subject string) *domain.Letter {
			return env.register(t, env.Admin, appliance.RegisterInput{Subject: subject, ArrivalDate: "2025-12-24", DoctypeID: dt.ID})
		}
		before := reg("Avant le changement")
		if before.DueDate != "2025-12-26" {
			t.Fatalf("national calendar: due %s", before.DueDate)
		}
		set := func(on bool) *domain.Tenant {
			t.Helper()
			in := communeInput
			in.AlsaceMoselle = on
			ten, err := env.Svc.UpdateTenant(ctx, env.Admin, in)
			if err != nil {
				t.Fatal(err)
			}
			return ten
		}
		if ten := set(true); !ten.AlsaceMoselle {
			t.Fatal("Alsace-Moselle not switched on")
		}
		// Every request reads the tenant afresh: the next actor sees it.
		admin, err := env.Svc.ActorFor(ctx, "default", env.Admin.ID())
		if err != nil {
			t.Fatal(err)
		}
		env.Admin = admin
		after := reg("Après le changement")
		if after.DueDate != "2025-12-29" {
			t.Errorf("Alsace-Moselle calendar: due %s, want 2025-12-29", after.DueDate)
		}
		if l := env.letter(t, before.ID); l.DueDate != "2025-12-26" {
			t.Errorf("the open letter's due date changed to %s", l.DueDate)
		}
		h, _ := env.Svc.TenantHistory(ctx, env.Admin, 1000, 0)
		if s := h[len(h)-2].Summary; s != "Commune « Ville de Saint-Martin » modifiée ; jours fériés d'Alsace-Moselle pris en compte pour les prochaines dates limites" {
			t.Errorf("history says %q", s)
		}
		set(false)
		if env.Admin, err = env.Svc.ActorFor(ctx, "default", env.Admin.ID()); err != nil {
			t.Fatal(err)
		}
		if l := reg("Retour au calendrier national"); l.DueDate != "2025-12-26" {
			t.Errorf("national calendar again: due %s", l.DueDate)
		}
		if l := env.letter(t, after.ID); l.DueDate != "2025-12-29" {
			t.Errorf("switching off changed an open letter's due date to %s", l.DueDate)
		}
	})
}

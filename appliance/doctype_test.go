package appliance_test

import (
	"encoding/json"
	"errors"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// TestDoctypeRetention: a doctype carries its DUA and sort final, set at
// creation or changed later, checked by the Service with French field
// errors and by Apply for commands that bypass it.
func TestDoctypeRetention(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		dt, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "URBA", Label: "Autorisation d'urbanisme", DelayDays: 40,
			RetentionYears: 10, FinalDisposition: domain.DispositionKeep})
		if err != nil {
			t.Fatal(err)
		}
		if dt.RetentionYears != 10 || dt.FinalDisposition != domain.DispositionKeep || dt.Mode != domain.ModeNormal {
			t.Fatalf("created: %+v", dt)
		}
		got, err := env.Svc.Doctype(ctx, env.Admin, dt.ID)
		if err != nil || got.RetentionYears != 10 || got.FinalDisposition != domain.DispositionKeep {
			t.Fatalf("read back: %+v, %v", got, err)
		}

		t.Run("update", func(t *testing.T) {
			u, err := env.Svc.UpdateDoctype(ctx, env.Admin, dt.ID, appliance.DoctypeInput{Code: "URBA", Label: "Urbanisme", DelayDays: 30, RemindBefore: 5,
				Mode: domain.ModeSVA, RetentionYears: 5, FinalDisposition: domain.DispositionSort})
			if err != nil {
				t.Fatal(err)
			}
			ds, err := env.Svc.Doctypes(ctx, env.Admin)
			if err != nil {
				t.Fatal(err)
			}
			var row domain.Doctype
			for _, d := range ds {
				if d.ID == dt.ID {
					row = d
				}
			}
			want := domain.Doctype{ID: dt.ID, Code: "URBA", Label: "Urbanisme", DelayDays: 30, DelayUnit: domain.UnitWorkingDays, RemindBefore: 5, Mode: domain.ModeSVA,
				RetentionYears: 5, FinalDisposition: domain.DispositionSort, CreatedAt: dt.CreatedAt}
			if *u != want || row != want {
				t.Fatalf("updated: %+v, listed: %+v, want %+v", u, row, want)
			}
			// Unset again: 0 and "" mean "not set".
			if u, err = env.Svc.UpdateDoctype(ctx, env.Admin, dt.ID, appliance.DoctypeInput{Label: "Urbanisme", DelayDays: 30}); err != nil ||
				u.RetentionYears != 0 || u.FinalDisposition != "" || u.Code != "URBA" {
				t.Fatalf("cleared: %+v, %v", u, err)
			}
			h, err := env.Svc.TenantHistory(ctx, env.Admin, 1000, 0)
			if err != nil || len(h) == 0 || h[len(h)-1].Kind != string(appliance.KindDoctypeUpdate) || h[len(h)-1].Summary != "Type de courrier « Urbanisme » modifié" {
				t.Fatalf("history: %+v, %v", h, err)
			}
		})

		t.Run("field errors", func(t *testing.T) {
			for _, c := range []struct {
				name  string
				in    appliance.DoctypeInput
				field string
			}{
				{"negative DUA", appliance.DoctypeInput{Label: "X", RetentionYears: -1}, "retention_years"},
				{"DUA over 100 years", appliance.DoctypeInput{Label: "X", RetentionYears: 101}, "retention_years"},
				{"unknown sort final", appliance.DoctypeInput{Label: "X", FinalDisposition: "archiver"}, "final_disposition"},
				{"accented sort final", appliance.DoctypeInput{Label: "X", FinalDisposition: "détruire"}, "final_disposition"},
				{"code changed", appliance.DoctypeInput{Code: "AUTRE", Label: "X"}, "code"},
				{"no label", appliance.DoctypeInput{}, "label"},
			} {
				_, err := env.Svc.UpdateDoctype(ctx, env.Admin, dt.ID, c.in)
				var fe appliance.FieldErrors
				if !errors.As(err, &fe) || fe[c.field] == "" {
					t.Errorf("%s: update err = %v, want a field error on %s", c.name, err, c.field)
				}
				if c.field == "code" {
					continue
				}
				c.in.Code = "NOUVEAU"
				_, err = env.Svc.CreateDoctype(ctx, env.Admin, c.in)
				if !errors.As(err, &fe) || fe[c.field] == "" {
					t.Errorf("%s: create err = %v, want a field error on %s", c.name, err, c.field)
				}
			}
			var fe appliance.FieldErrors
			_, err := env.Svc.UpdateDoctype(ctx, env.Admin, dt.ID, appliance.DoctypeInput{Label: "X", RetentionYears: 101})
			if errors.As(err, &fe) && fe["retention_years"] != "entre 0 (non renseignée) et 100 ans" {
				t.Errorf("French message: %q", fe["retention_years"])
			}
			if _, err := env.Svc.UpdateDoctype(ctx, env.Admin, "nope", appliance.DoctypeInput{Label: "X"}); !errors.Is(err, appliance.ErrNotFound) {
				t.Errorf("unknown doctype: %v", err)
			}
			agent := env.user(t, "agent", domain.RoleAgent)
			if _, err := env.Svc.UpdateDoctype(ctx, agent, dt.ID, appliance.DoctypeInput{Label: "X"}); !errors.Is(err, appliance.ErrForbidden) {
				t.Errorf("agent's update: %v", err)
			}
		})

		t.Run("apply checks", func(t *testing.T) {
			// Commands stamped elsewhere do not go through the Service.
			for _, p := range []any{
				appliance.DoctypeUpdate{DoctypeID: dt.ID, Label: "X", Mode: "normal", RetentionYears: 101},
				appliance.DoctypeUpdate{DoctypeID: dt.ID, Label: "X", Mode: "normal", FinalDisposition: "archiver"},
				appliance.DoctypeUpdate{DoctypeID: dt.ID, Label: "X", Mode: "tacite"},
			} {
				if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindDoctypeUpdate, p); !errors.Is(r.Err, appliance.ErrInvalid) {
					t.Errorf("apply %+v: %v", p, r.Err)
				}
			}
			if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindDoctypeUpdate,
				appliance.DoctypeUpdate{DoctypeID: "nope", Label: "X", Mode: "normal"}); !errors.Is(r.Err, appliance.ErrNotFound) {
				t.Errorf("apply to an unknown doctype: %v", r.Err)
			}
			if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindDoctypeCreate,
				appliance.DoctypeCreate{ID: appliance.NewID(), Code: "MAL", Label: "X", Mode: "normal", RetentionYears: -3}); !errors.Is(r.Err, appliance.ErrInvalid) {
				t.Errorf("apply a create with a negative DUA: %v", r.Err)
			}
		})

		t.Run("old create command", func(t *testing.T) {
			// A doctype.create written before retention existed, as the
			// raft log replays it: decoded and applied, nothing set.
			id := appliance.NewID()
			old := json.RawMessage(`{"id":"` + id + `","code":"ANCIEN","label":"Ancien type","delay_days":15,"remind_before":3,"remind_after":5,"mode":"normal"}`)
			if r := env.applyDirect(t, "default", appliance.SystemActor, appliance.KindDoctypeCreate, old); r.Err != nil {
				t.Fatal(r.Err)
			}
			d, err := env.Svc.Doctype(ctx, env.Admin, id)
			if err != nil || d.RetentionYears != 0 || d.FinalDisposition != "" || d.DelayDays != 15 {
				t.Fatalf("old command applied: %+v, %v", d, err)
			}
			// And a create without them still encodes as before.
			b, err := json.Marshal(appliance.DoctypeCreate{ID: id, Code: "ANCIEN", Label: "Ancien type", DelayDays: 15, RemindBefore: 3, RemindAfter: 5, Mode: "normal"})
			if err != nil || string(b) != string(old) {
				t.Fatalf("encoded %s, want %s", b, old)
			}
		})
	})
}

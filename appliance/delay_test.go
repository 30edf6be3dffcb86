package appliance_test

import (
	"encoding/json"
	"errors"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/workdays"
)

// TestDueDateUnits: the due date of a letter counts its doctype's delay in
// working days (the tenant's holidays), calendar days or months (same day
// of the month, else the month's last day), across month ends, leap years
// and holidays.
func TestDueDateUnits(t *testing.T) {
	t.Parallel()
	national, alsace := workdays.Calendar{}, workdays.Calendar{AlsaceMoselle: true}
	months := func(n int) *domain.Doctype {
		return &domain.Doctype{DelayDays: n, DelayUnit: domain.UnitMonths, Mode: domain.ModeSVA}
	}
	days := func(n int, u domain.DelayUnit) *domain.Doctype { return &domain.Doctype{DelayDays: n, DelayUnit: u} }
	for _, c := range []struct {
		name    string
		cal     workdays.Calendar
		d       *domain.Doctype
		arrival string
		want    string
	}{
		{"SVA received 15 December 2026", national, months(2), "2026-12-15", "2027-02-15"},
		{"31 December + 2 months, common year", national, months(2), "2026-12-31", "2027-02-28"},
		{"31 December + 2 months, leap year", national, months(2), "2027-12-31", "2028-02-29"},
		{"30 December + 2 months, leap year", national, months(2), "2023-12-30", "2024-02-29"},
		{"29 February + 2 months", national, months(2), "2028-02-29", "2028-04-29"},
		{"31 July + 2 months", national, months(2), "2026-07-31", "2026-09-30"},
		{"months end on a holiday", national, months(2), "2026-09-01", "2026-11-01"},
		{"months ignore Alsace-Moselle", alsace, months(2), "2026-10-26", "2026-12-26"},
		{"calendar days across February, leap year", national, days(30, domain.UnitCalendarDays), "2028-02-10", "2028-03-11"},
		{"calendar days across February", national, days(30, domain.UnitCalendarDays), "2027-02-10", "2027-03-12"},
		{"calendar days end on Christmas", national, days(10, domain.UnitCalendarDays), "2026-12-15", "2026-12-25"},
		{"working days skip Christmas and the weekend", national, days(2, domain.UnitWorkingDays), "2026-12-24", "2026-12-29"},
		{"working days skip Saint-Étienne in Alsace-Moselle", alsace, days(1, domain.UnitWorkingDays), "2025-12-24", "2025-12-29"},
		{"working days, Saint-Étienne worked elsewhere", national, days(1, domain.UnitWorkingDays), "2025-12-24", "2025-12-26"},
		{"working days across 29 February", national, days(3, domain.UnitWorkingDays), "2028-02-28", "2028-03-02"},
		{"what the old count gave for 15 December", national, days(40, domain.UnitWorkingDays), "2026-12-15", "2027-02-11"},
		{"no delay", national, months(0), "2026-12-15", ""},
		{"no doctype", national, nil, "2026-12-15", ""},
		{"bad arrival date", national, months(2), "15/12/2026", ""},
	} {
		if got := appliance.DueDate(c.cal, c.d, c.arrival); got != c.want {
			t.Errorf("%s: DueDate(%s) = %q, want %q", c.name, c.arrival, got, c.want)
		}
	}
}

// TestSilenceDoctypesCountMonths: SVA and SVR doctypes default to the
// law's two months, and their letters are due two calendar months after
// arrival; a unit can be chosen, is kept by a change that names none, and
// bad units and delays are refused in French.
func TestSilenceDoctypesCountMonths(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		ds, err := env.Svc.Doctypes(ctx, env.Admin)
		if err != nil {
			t.Fatal(err)
		}
		seeded := map[string]domain.Doctype{}
		for _, d := range ds {
			seeded[d.Code] = d
		}
		for _, code := range []string{"DEMANDE-SVA", "DEMANDE-SVR"} {
			if d := seeded[code]; d.DelayDays != 2 || d.DelayUnit != domain.UnitMonths {
				t.Errorf("seeded %s: %d %s, want 2 months", code, d.DelayDays, d.DelayUnit)
			}
		}
		if d := seeded["COURRIER"]; d.DelayDays != 15 || d.DelayUnit != domain.UnitWorkingDays {
			t.Errorf("seeded COURRIER: %d %s, want 15 working days", d.DelayDays, d.DelayUnit)
		}

		sva, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "PERMIS", Label: "Permis", Mode: domain.ModeSVA})
		if err != nil {
			t.Fatal(err)
		}
		if sva.DelayDays != 2 || sva.DelayUnit != domain.UnitMonths {
			t.Fatalf("SVA doctype without a delay: %d %s, want 2 months", sva.DelayDays, sva.DelayUnit)
		}
		for arrival, due := range map[string]string{"2026-12-15": "2027-02-15", "2026-12-31": "2027-02-28", "2027-12-31": "2028-02-29"} {
			l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Demande " + arrival, ArrivalDate: arrival, DoctypeID: sva.ID})
			if l.DueDate != due {
				t.Errorf("SVA letter received %s: due %s, want %s", arrival, l.DueDate, due)
			}
		}
		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Demande SVR", ArrivalDate: "2026-12-15", DoctypeID: seeded["DEMANDE-SVR"].ID})
		if l.DueDate != "2027-02-15" {
			t.Errorf("seeded SVR letter received 2026-12-15: due %s, want 2027-02-15", l.DueDate)
		}

		// A change naming no unit keeps the current one.
		u, err := env.Svc.UpdateDoctype(ctx, env.Admin, sva.ID, appliance.DoctypeInput{Label: "Permis", DelayDays: 3, Mode: domain.ModeSVA})
		if err != nil || u.DelayDays != 3 || u.DelayUnit != domain.UnitMonths {
			t.Fatalf("update without a unit: %+v, %v", u, err)
		}
		if u, err = env.Svc.UpdateDoctype(ctx, env.Admin, sva.ID, appliance.DoctypeInput{Label: "Permis", DelayDays: 60, DelayUnit: domain.UnitCalendarDays, Mode: domain.ModeSVA}); err != nil ||
			u.DelayUnit != domain.UnitCalendarDays {
			t.Fatalf("update to calendar days: %+v, %v", u, err)
		}
		if l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "60 jours", ArrivalDate: "2026-12-15", DoctypeID: sva.ID}); l.DueDate != "2027-02-13" {
			t.Errorf("60 calendar days from 2026-12-15: %s, want 2027-02-13", l.DueDate)
		}
		// A normal doctype given a delay and no unit counts working days,
		// as the API always did.
		n, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "SIMPLE", Label: "Simple", DelayDays: 10})
		if err != nil || n.DelayUnit != domain.UnitWorkingDays || n.DelayDays != 10 {
			t.Fatalf("normal doctype: %+v, %v", n, err)
		}

		for _, c := range []struct {
			in    appliance.DoctypeInput
			field string
			msg   string
		}{
			{appliance.DoctypeInput{Label: "X", DelayDays: 2, DelayUnit: "semaines"}, "delay_unit", "working_days (jours ouvrés), calendar_days (jours calendaires) ou months (mois)"},
			{appliance.DoctypeInput{Label: "X", DelayDays: 121, DelayUnit: domain.UnitMonths}, "delay_days", "entre 0 et 120 mois"},
			{appliance.DoctypeInput{Label: "X", DelayDays: 3651, DelayUnit: domain.UnitCalendarDays}, "delay_days", "entre 0 et 3650 jours"},
			{appliance.DoctypeInput{Label: "X", DelayDays: -1}, "delay_days", "entre 0 et 3650 jours"},
		} {
			c.in.Code = "MAUVAIS"
			_, err := env.Svc.CreateDoctype(ctx, env.Admin, c.in)
			var fe appliance.FieldErrors
			if !errors.As(err, &fe) || fe[c.field] != c.msg {
				t.Errorf("create %+v: %v, want %s: %q", c.in, err, c.field, c.msg)
			}
		}
		if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindDoctypeUpdate,
			appliance.DoctypeUpdate{DoctypeID: sva.ID, Label: "X", Mode: "sva", DelayDays: 2, DelayUnit: "semaines"}); !errors.Is(r.Err, appliance.ErrInvalid) {
			t.Errorf("apply an unknown unit: %v", r.Err)
		}
	})
}

// TestDoctypeCommandsWithoutUnit: log entries written before delays had a
// unit replay as the upgrade migration converts the stores that held
// them: SVA and SVR at the seeded 40 working days become two months,
// everything else stays in working days; a command naming its unit is
// taken as it is.
func TestDoctypeCommandsWithoutUnit(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		create := func(code, mode string, days int, unit string) *domain.Doctype {
			t.Helper()
			id := appliance.NewID()
			p := map[string]any{"id": id, "code": code, "label": code, "delay_days": days, "remind_before": 10, "remind_after": 0, "mode": mode}
			if unit != "" {
				p["delay_unit"] = unit
			}
			b, _ := json.Marshal(p)
			if r := env.applyDirect(t, "default", appliance.SystemActor, appliance.KindDoctypeCreate, json.RawMessage(b)); r.Err != nil {
				t.Fatalf("apply %s: %v", b, r.Err)
			}
			d, err := env.Svc.Doctype(ctx, env.Admin, id)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for _, c := range []struct {
			code, mode string
			days       int
			unit       string
			wantDays   int
			wantUnit   domain.DelayUnit
		}{
			{"OLD-SVA", "sva", 40, "", 2, domain.UnitMonths},
			{"OLD-SVR", "svr", 40, "", 2, domain.UnitMonths},
			{"OLD-SVA-30", "sva", 30, "", 30, domain.UnitWorkingDays},
			{"OLD-NORMAL-40", "normal", 40, "", 40, domain.UnitWorkingDays},
			{"NEW-SVA-40", "sva", 40, "working_days", 40, domain.UnitWorkingDays},
			{"NEW-MONTHS", "normal", 4, "months", 4, domain.UnitMonths},
		} {
			if d := create(c.code, c.mode, c.days, c.unit); d.DelayDays != c.wantDays || d.DelayUnit != c.wantUnit {
				t.Errorf("%s: %d %s, want %d %s", c.code, d.DelayDays, d.DelayUnit, c.wantDays, c.wantUnit)
			}
		}
		// An old doctype.update (every field, no unit) follows the same rule.
		d := create("CHANGED", "normal", 15, "working_days")
		old := json.RawMessage(`{"doctype_id":"` + d.ID + `","label":"Changé","delay_days":40,"remind_before":10,"remind_after":0,"mode":"svr","retention_years":0,"final_disposition":""}`)
		if r := env.applyDirect(t, "default", appliance.SystemActor, appliance.KindDoctypeUpdate, old); r.Err != nil {
			t.Fatal(r.Err)
		}
		if d, err := env.Svc.Doctype(ctx, env.Admin, d.ID); err != nil || d.DelayDays != 2 || d.DelayUnit != domain.UnitMonths {
			t.Fatalf("old update to SVR 40: %+v, %v", d, err)
		}
		// An update without a unit encodes as the older ones did.
		b, err := json.Marshal(appliance.DoctypeUpdate{DoctypeID: d.ID, Label: "Changé", DelayDays: 40, RemindBefore: 10, Mode: "svr"})
		if err != nil || string(b) != string(old) {
			t.Fatalf("encoded %s, want %s", b, old)
		}
	})
}

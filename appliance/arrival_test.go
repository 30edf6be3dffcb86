package appliance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
)

// An arrival date may be years ahead (a deadline worked out in advance)
// but not more than five: further is a typing slip, refused on the field.
func TestArrivalDateAtMostFiveYearsAhead(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	clock := apptest.NewClock(time.Date(2026, 12, 5, 10, 0, 0, 0, domain.Paris))
	env.Svc.Now = clock.Now
	register := func(arrival string) error {
		_, err := env.Svc.RegisterLetter(context.Background(), env.Admin,
			appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande " + arrival, ArrivalDate: arrival})
		return err
	}
	for _, ok := range []string{"2020-01-15", "2026-12-05", "2031-12-05"} {
		if err := register(ok); err != nil {
			t.Errorf("arrival %s refused: %v", ok, err)
		}
	}
	err := register("2031-12-06")
	var fe appliance.FieldErrors
	if !errors.As(err, &fe) || fe["arrival_date"] == "" {
		t.Fatalf("arrival more than five years ahead: %v", err)
	}
}

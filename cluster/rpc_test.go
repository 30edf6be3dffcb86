package cluster

import (
	"errors"
	"fmt"
	"testing"

	"missive/appliance"
)

// An error answered by another node matches the same sentinels as it did
// there, and says the same thing.
func TestWireErrorsKeepTheirIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want []error
	}{
		{ErrNotLeader, []error{ErrNotLeader, appliance.ErrUnavailable}},
		{ErrShutdown, []error{ErrShutdown, appliance.ErrUnavailable}},
		{ErrNoQuorum, []error{ErrNoQuorum, appliance.ErrUnavailable}},
		{ErrRemoved, []error{ErrRemoved, appliance.ErrUnavailable}},
		{errUnknownOutcome("10.0.0.5:7000", errors.New("EOF")), []error{appliance.ErrUnavailable}},
		{fmt.Errorf("%w: jeton d'adhésion inconnu", appliance.ErrForbidden), []error{appliance.ErrForbidden}},
		{fmt.Errorf("%w: x", appliance.ErrInvalid), []error{appliance.ErrInvalid}},
		{fmt.Errorf("%w: x", appliance.ErrNotFound), []error{appliance.ErrNotFound}},
		{fmt.Errorf("%w: x", appliance.ErrConflict), []error{appliance.ErrConflict}},
		{&appliance.NumberTakenError{Number: "2026/A/000002", Next: 7}, nil},
	} {
		got := toWire(tc.err).err()
		for _, w := range tc.want {
			if !errors.Is(got, w) {
				t.Errorf("%v across the wire: %v does not match %v", tc.err, got, w)
			}
		}
		if got.Error() != tc.err.Error() {
			t.Errorf("message %q became %q", tc.err, got)
		}
	}
	var nt *appliance.NumberTakenError
	if got := toWire(&appliance.NumberTakenError{Number: "2026/A/000002", Next: 7}).err(); !errors.As(got, &nt) || nt.Next != 7 {
		t.Fatalf("NumberTakenError across the wire: %v", got)
	}
	if toWire(nil).err() != nil {
		t.Fatal("no error became one")
	}
}

package mailbridge

import (
	"errors"
	"strings"
	"testing"

	"missive/appliance"
)

// The client sees the code and the French message, never the cause; the
// log and errors.Is see the cause.
func TestSMTPErrorKeepsCauseOffTheWire(t *testing.T) {
	cause := errors.Join(appliance.ErrUnavailable, errors.New("dial tcp 127.0.0.1:5432: connection refused"))
	e := errTemporary.because(cause)
	if !errors.Is(e, appliance.ErrUnavailable) {
		t.Fatal("the cause is not reachable through errors.Is")
	}
	if !e.Temporary() || errTemporary.Err != nil {
		t.Fatalf("temporary=%v, shared value changed: %v", e.Temporary(), errTemporary.Err)
	}
	r := e.reply()
	if r.Code != 451 || r.EnhancedCode[0] != 4 || strings.Contains(r.Message, "5432") {
		t.Fatalf("wire reply %d %v %q", r.Code, r.EnhancedCode, r.Message)
	}
	if !strings.Contains(e.Error(), "5432") || !strings.HasPrefix(e.Error(), "451 4.3.0 ") {
		t.Fatalf("log text %q", e.Error())
	}
	for _, p := range []*SMTPError{errUnreadable, errUnknownRecipient("x@y"), errLineTooLong(1000)} {
		if p.Temporary() || p.Enhanced[0] != 5 {
			t.Fatalf("%v should be permanent", p)
		}
	}
	if got, ok := asSMTPError(errors.Join(errors.New("x"), errPending)); !ok || got != errPending {
		t.Fatal("asSMTPError misses a wrapped answer")
	}
}

package appliance

import (
	"strings"
	"testing"
)

// A kind registered twice is a programming error found at start.
func TestRegistryRefusesDuplicateKind(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "registered twice") {
			t.Fatalf("no panic on a duplicate kind: %v", p)
		}
	}()
	newRegistry(registerMail, registerMail)
}

// Handle decodes the payload strictly before apply sees it.
func TestHandleDecodesStrictly(t *testing.T) {
	r := newRegistry()
	var got *DoctypeUpdate
	Handle(r, KindDoctypeUpdate, func(_ *applyCtx, p *DoctypeUpdate) (any, error) { got = p; return nil, nil })
	h := r.handler(KindDoctypeUpdate)
	if _, err := h(&applyCtx{cmd: &Command{Kind: KindDoctypeUpdate, Payload: []byte(`{"doctype_id":"d1","surprise":1}`)}}); err == nil || got != nil {
		t.Fatalf("unknown field accepted: err=%v applied=%v", err, got != nil)
	}
	if !kinds.known(KindLetterRegister) || kinds.known("letter.nonsense") {
		t.Fatal("the binary's table is wrong")
	}
}

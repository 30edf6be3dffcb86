package store_test

import (
	"reflect"
	"testing"

	"missive/appliance/store"
)

// TestAggregatesAreSplit: each aggregate's reader and writer has its own
// methods and not another aggregate's, while Reader and Tx still offer
// them all; an apply function may hold only the writer it needs.
func TestAggregatesAreSplit(t *testing.T) {
	for _, c := range []struct {
		typ      reflect.Type
		has, not string
	}{
		{reflect.TypeFor[store.LetterReader](), "Letter", "MailRelay"},
		{reflect.TypeFor[store.MailReader](), "MailRelay", "Letter"},
		{reflect.TypeFor[store.OrgReader](), "User", "DavLocks"},
		{reflect.TypeFor[store.MailTx](), "InsertOutbox", "InsertLetter"},
		{reflect.TypeFor[store.LetterTx](), "InsertLetter", "InsertOutbox"},
		{reflect.TypeFor[store.OrgTx](), "InsertUser", "InsertDavLock"},
		{reflect.TypeFor[store.Reader](), "Letter", "InsertLetter"},
		{reflect.TypeFor[*store.Tx](), "InsertOutbox", ""},
		{reflect.TypeFor[*store.Tx](), "Letter", ""},
	} {
		if _, ok := c.typ.MethodByName(c.has); !ok {
			t.Errorf("%s lacks %s", c.typ, c.has)
		}
		if _, ok := c.typ.MethodByName(c.not); c.not != "" && ok {
			t.Errorf("%s has %s, another aggregate's", c.typ, c.not)
		}
	}
}

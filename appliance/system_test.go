package appliance_test

import (
	"reflect"
	"testing"

	"missive/appliance"
	"missive/appliance/blob"
	"missive/appliance/store"
)

// The outer layers read through the Service's methods, which check the
// actor's perimeter, or through System(), which says that no user is
// involved: nothing exported hands out the store, its reader or the blob
// store, so none can read around those checks.
func TestServiceHidesStore(t *testing.T) {
	hidden := map[reflect.Type]bool{
		reflect.TypeFor[*store.Store](): true,
		reflect.TypeFor[store.Reader](): true,
		reflect.TypeFor[*blob.Store]():  true,
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[appliance.Service](), reflect.TypeFor[appliance.SystemReader]()} {
		for f := range typ.Fields() {
			if f.IsExported() && hidden[f.Type] {
				t.Errorf("%s.%s exports a %s", typ.Name(), f.Name, f.Type)
			}
		}
		for m := range reflect.PointerTo(typ).Methods() {
			for out := range m.Type.Outs() {
				if hidden[out] {
					t.Errorf("%s.%s returns a %s", typ.Name(), m.Name, out)
				}
			}
		}
	}
}

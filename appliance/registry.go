package appliance

import "fmt"

// Registry maps each command kind to its apply function. Each feature
// registers its own kinds in one function (registerMail, registerDav…),
// and kinds lists those functions: adding a kind touches its feature's
// file only, and a kind registered twice stops the binary at start, not
// at the first entry of that kind.
type Registry struct {
	handlers map[Kind]handler
}

// Handle registers apply for kind. The payload is decoded strictly
// (unknown fields are errors) into a P before apply runs, so apply
// functions start from their typed payload.
func Handle[P any](r *Registry, kind Kind, apply func(a *applyCtx, p *P) (any, error)) {
	if _, dup := r.handlers[kind]; dup {
		panic(fmt.Sprintf("command kind %s registered twice", kind))
	}
	r.handlers[kind] = func(a *applyCtx) (any, error) {
		var p P
		if err := strictUnmarshal(a.cmd.Payload, &p); err != nil {
			return nil, fmt.Errorf("%s payload: %w", a.cmd.Kind, err)
		}
		return apply(a, &p)
	}
}

func newRegistry(features ...func(*Registry)) *Registry {
	r := &Registry{handlers: map[Kind]handler{}}
	for _, register := range features {
		register(r)
	}
	return r
}

// known says whether this binary can apply kind.
func (r *Registry) known(kind Kind) bool { _, ok := r.handlers[kind]; return ok }

func (r *Registry) handler(kind Kind) handler { return r.handlers[kind] }

// kinds is every kind this binary applies. It is built once and never
// changed: Apply on every node must see the same table.
var kinds = newRegistry(
	registerCore,
	registerCommune,
	registerDoctypeUpdate,
	registerPieces,
	registerWeb,
	registerMail,
	registerMailAdmin,
	registerDav,
	registerReplies,
	registerGED,
	registerCluster,
	registerBackupRuns,
	registerHistoryCheckpoint,
	registerTLS,
)

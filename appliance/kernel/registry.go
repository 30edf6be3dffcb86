package kernel

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
func Handle[P any](r *Registry, kind Kind, apply func(a *Ctx, p *P) (any, error)) {
	if _, dup := r.handlers[kind]; dup {
		panic(fmt.Sprintf("command kind %s registered twice", kind))
	}
	r.handlers[kind] = func(a *Ctx) (any, error) {
		var p P
		if err := StrictUnmarshal(a.Cmd.Payload, &p); err != nil {
			return nil, fmt.Errorf("%s payload: %w", a.Cmd.Kind, err)
		}
		return apply(a, &p)
	}
}

// NewRegistry builds the table of kinds from each feature's register
// function. The kernel's own kinds (history checkpoints) are always in it.
func NewRegistry(features ...func(*Registry)) *Registry {
	r := &Registry{handlers: map[Kind]handler{}}
	registerHistoryCheckpoint(r)
	for _, register := range features {
		register(r)
	}
	return r
}

// Known says whether this binary can apply kind.
func (r *Registry) Known(kind Kind) bool { _, ok := r.handlers[kind]; return ok }

func (r *Registry) handler(kind Kind) handler { return r.handlers[kind] }

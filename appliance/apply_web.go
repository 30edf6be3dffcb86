package appliance

import (
	"encoding/json"

	"missive/appliance/kernel"
)

// registerWeb registers the registration form's kind of earlier versions.
func registerWeb(r *kernel.Registry) {
	kernel.Handle(r, KindLetterRegisterForm, applyLetterRegisterForm)
}

// applyLetterRegisterForm applies the registration form's commands of
// earlier versions, which carried the form's key in their payload; a form
// now proposes letter.register with the key in the envelope (Idem). Both
// record the key in the same table, so they are the one mechanism.
func applyLetterRegisterForm(a *kernel.Ctx, p *LetterRegisterForm) (any, error) {
	sub := *a
	cmd := *a.Cmd
	var err error
	if cmd.Payload, err = json.Marshal(p.Letter); err != nil {
		return nil, err
	}
	sub.Cmd = &cmd
	register := func(a *kernel.Ctx) (any, error) { return applyLetterRegister(a, &p.Letter) }
	v, _, err := kernel.ApplyKeyed(&sub, &Idem{Key: p.Key}, register)
	if err != nil {
		return nil, err
	}
	a.LetterID, a.Summary = sub.LetterID, sub.Summary
	return v, nil
}

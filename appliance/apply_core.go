package appliance

import (
	"missive/appliance/kernel"
)

// registerCore registers the letters' kinds.
func registerCore(r *kernel.Registry) {
	kernel.Handle(r, KindLetterRegister, applyLetterRegister)
	kernel.Handle(r, KindLetterQualify, applyLetterQualify)
	kernel.Handle(r, KindLetterRedirect, applyLetterRedirect)
	kernel.Handle(r, KindLetterNote, applyLetterNote)
	kernel.Handle(r, KindLetterAttach, applyLetterAttach)
	kernel.Handle(r, KindLetterLink, applyLetterLink)
	kernel.Handle(r, KindLetterReopen, applyLetterReopen)
}

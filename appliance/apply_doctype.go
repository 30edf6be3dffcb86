package appliance

import (
	"fmt"

	"missive/appliance/domain"
)

func init() {
	handlers[KindDoctypeUpdate] = applyDoctypeUpdate
}

// checkRetention is Apply's own check of a doctype's archival fields: the
// Service validated them already, but the log is replayed by every node and
// must not write what the Service would refuse.
func checkRetention(years int, disposition string) error {
	if years < 0 || years > domain.MaxRetentionYears {
		return fmt.Errorf("%w: durée d'utilité administrative de %d ans hors de 0 à %d", ErrInvalid, years, domain.MaxRetentionYears)
	}
	if !domain.Disposition(disposition).Valid() {
		return fmt.Errorf("%w: sort final %q inconnu", ErrInvalid, disposition)
	}
	return nil
}

func applyDoctypeUpdate(a *applyCtx) (any, error) {
	p, err := decode[DoctypeUpdate](a)
	if err != nil {
		return nil, err
	}
	d, err := a.tx.Doctype(a.ctx, a.cmd.Tenant, p.DoctypeID)
	if err != nil {
		return nil, err
	}
	if !domain.Mode(p.Mode).Valid() {
		return nil, fmt.Errorf("%w: mode %q inconnu", ErrInvalid, p.Mode)
	}
	if err := checkRetention(p.RetentionYears, p.FinalDisposition); err != nil {
		return nil, err
	}
	d.Label, d.DelayDays, d.RemindBefore, d.RemindAfter, d.Mode = p.Label, p.DelayDays, p.RemindBefore, p.RemindAfter, domain.Mode(p.Mode)
	d.RetentionYears, d.FinalDisposition = p.RetentionYears, domain.Disposition(p.FinalDisposition)
	if err := a.tx.UpdateDoctype(a.cmd.Tenant, d); err != nil {
		return nil, err
	}
	a.summary = "Type de courrier « " + d.Label + " » modifié"
	return d, nil
}

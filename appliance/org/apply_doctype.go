package org

import (
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

// checkRetention is Apply's own check of a doctype's archival fields: the
// Service validated them already, but the log is replayed by every node and
// must not write what the Service would refuse.
func checkRetention(years int, disposition string) error {
	if years < 0 || years > domain.MaxRetentionYears {
		return fmt.Errorf("%w: durée d'utilité administrative de %d ans hors de 0 à %d", kernel.ErrInvalid, years, domain.MaxRetentionYears)
	}
	if !domain.Disposition(disposition).Valid() {
		return fmt.Errorf("%w: sort final %q inconnu", kernel.ErrInvalid, disposition)
	}
	return nil
}

// legacyDelay reads a doctype's delay from a command. An entry written
// before delays had a unit has none: it meant working days, except that
// the SVA and SVR doctypes at the delay Missive seeded (40 working days,
// meant as the law's two months) count two calendar months, exactly as
// migration 0009_delay_unit converted the stores that held them. So a log
// replayed on an upgraded node builds the same doctypes as the migrated
// store of a node that applied it before the upgrade.
func legacyDelay(mode string, days int, unit string) (int, domain.DelayUnit, error) {
	switch {
	case unit != "":
		if !domain.DelayUnit(unit).Valid() {
			return 0, "", fmt.Errorf("%w: unité de délai %q inconnue", kernel.ErrInvalid, unit)
		}
		return days, domain.DelayUnit(unit), nil
	case (mode == string(domain.ModeSVA) || mode == string(domain.ModeSVR)) && days == seededSilenceDays:
		return domain.SilenceMonths, domain.UnitMonths, nil
	}
	return days, domain.UnitWorkingDays, nil
}

// doctypeRules is Apply's check of a doctype's mode, archival fields and
// delay, the same for a new doctype and a changed one; it returns the
// delay as the doctype keeps it.
func doctypeRules(mode string, years int, disposition string, days int, unit string) (int, domain.DelayUnit, error) {
	if !domain.Mode(mode).Valid() {
		return 0, "", fmt.Errorf("%w: mode %q inconnu", kernel.ErrInvalid, mode)
	}
	if err := checkRetention(years, disposition); err != nil {
		return 0, "", err
	}
	return legacyDelay(mode, days, unit)
}

// seededSilenceDays is the delay, in working days, that Missive gave its
// SVA and SVR doctypes before delays had a unit.
const seededSilenceDays = 40

func applyDoctypeUpdate(a *kernel.Ctx, p *DoctypeUpdate) (any, error) {
	d, err := a.Tx.Doctype(a.Ctx, a.Cmd.Tenant, p.DoctypeID)
	if err != nil {
		return nil, err
	}
	days, unit, err := doctypeRules(p.Mode, p.RetentionYears, p.FinalDisposition, p.DelayDays, p.DelayUnit)
	if err != nil {
		return nil, err
	}
	d.Label, d.DelayDays, d.DelayUnit, d.RemindBefore, d.RemindAfter, d.Mode = p.Label, days, unit, p.RemindBefore, p.RemindAfter, domain.Mode(p.Mode)
	d.RetentionYears, d.FinalDisposition = p.RetentionYears, domain.Disposition(p.FinalDisposition)
	if err := a.Tx.UpdateDoctype(a.Cmd.Tenant, d); err != nil {
		return nil, err
	}
	a.Summary = "Type de courrier « " + d.Label + " » modifié"
	return d, nil
}

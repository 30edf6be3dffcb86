package appliance

import (
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// registerGED registers the apply function of each kind below with r.
func registerGED(r *Registry) {
	Handle(r, KindGEDTargetSet, applyGEDTargetSet)
	Handle(r, KindGEDExportQueue, applyGEDExportQueue)
	Handle(r, KindGEDExportResult, applyGEDExportResult)
	Handle(r, KindOnlyOfficeSet, applyOnlyOfficeSet)
}

// Export statuses.
const (
	GEDQueued = "queued"
	GEDDone   = "done"
	GEDFailed = "failed"
)

// Why an export was queued.
const (
	GEDReasonClose  = "close"
	GEDReasonManual = "manual"
)

func applyGEDTargetSet(a *applyCtx, p *GEDTargetSet) (any, error) {
	g := &store.GEDTarget{TenantID: a.cmd.Tenant, URL: p.URL, Username: p.Username, Secret: p.Secret, OnClose: p.OnClose, UpdatedAt: a.at}
	if err := a.tx.SetGEDTarget(g); err != nil {
		return nil, err
	}
	// New settings are usually a fix (a password, a URL): what failed or
	// waits is tried again at once with them.
	if err := a.tx.RequeueFailedGEDExports(a.cmd.Tenant, a.at); err != nil {
		return nil, err
	}
	if err := a.tx.RetryGEDExportsNow(a.cmd.Tenant, a.at); err != nil {
		return nil, err
	}
	if p.Secret != "" {
		p.Secret = "***"
	}
	a.payload = redact(p)
	a.summary = "Export vers la GED : " + p.URL
	return g, nil
}

// queueExportOnClose queues the export of a letter being closed when the
// tenant exports on closing. The row's id comes from the command's, so that
// every node writes the same row without anything stamped for it.
func queueExportOnClose(a *applyCtx, l *domain.Letter) error {
	g, err := a.tx.GEDTarget(a.ctx, a.cmd.Tenant)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !g.OnClose:
		return nil
	}
	return a.tx.InsertGEDExport(&store.GEDExport{ID: "ged-" + a.cmd.ID, TenantID: a.cmd.Tenant, LetterID: l.ID, Reason: GEDReasonClose,
		Status: GEDQueued, NextTry: a.at, CreatedAt: a.at})
}

func applyGEDExportQueue(a *applyCtx, p *GEDExportQueue) (any, error) {
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if _, err := a.tx.GEDTarget(a.ctx, a.cmd.Tenant); err != nil {
		return nil, err
	}
	e := &store.GEDExport{ID: p.ID, TenantID: a.cmd.Tenant, LetterID: l.ID, Reason: p.Reason, Status: GEDQueued, NextTry: a.at, CreatedAt: a.at}
	if err := a.tx.InsertGEDExport(e); err != nil {
		return nil, err
	}
	a.summary = "Export vers la GED demandé"
	return e, nil
}

func applyGEDExportResult(a *applyCtx, p *GEDExportResult) (any, error) {
	e, err := a.tx.GEDExport(a.ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if e.TenantID != a.cmd.Tenant {
		return nil, fmt.Errorf("export %s: %w", p.ID, ErrNotFound)
	}
	if e.Status != GEDQueued {
		return nil, fmt.Errorf("%w: export %s déjà %s", ErrConflict, e.ID, e.Status)
	}
	e.Attempts, e.LastError = p.Attempts, p.Error
	switch p.Status {
	case GEDDone:
		e.Status, e.NextTry, e.DoneAt, e.Location, e.Files = GEDDone, "", a.at, p.Location, p.Files
		a.summary = "Exporté vers la GED : " + p.Location
	case GEDFailed:
		e.Status, e.NextTry = GEDFailed, ""
		a.summary = "Export vers la GED abandonné : " + p.Error
	case GEDQueued:
		e.NextTry = p.NextTry
		a.summary = fmt.Sprintf("Export vers la GED : tentative %d échouée, nouvel essai prévu (%s)", p.Attempts, p.Error)
	default:
		return nil, fmt.Errorf("%w: statut d'export %q inconnu", ErrInvalid, p.Status)
	}
	if err := a.tx.UpdateGEDExport(e); err != nil {
		return nil, err
	}
	a.letterID = e.LetterID
	return e, nil
}

func applyOnlyOfficeSet(a *applyCtx, p *OnlyOfficeSet) (any, error) {
	o := &store.OnlyOfficeServer{TenantID: a.cmd.Tenant, URL: p.URL, Secret: p.Secret, UpdatedAt: a.at}
	if err := a.tx.SetOnlyOfficeServer(o); err != nil {
		return nil, err
	}
	a.payload = redact(OnlyOfficeSet{URL: p.URL, Secret: "***"})
	a.summary = "Serveur OnlyOffice : " + p.URL
	return o, nil
}

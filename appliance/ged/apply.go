package ged

import (
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Register registers the apply function of each kind below with r.
func Register(r *kernel.Registry) {
	kernel.Handle(r, KindGEDTargetSet, applyGEDTargetSet)
	kernel.Handle(r, KindGEDExportQueue, applyGEDExportQueue)
	kernel.Handle(r, KindGEDExportResult, applyGEDExportResult)
	kernel.Handle(r, KindOnlyOfficeSet, applyOnlyOfficeSet)
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

func applyGEDTargetSet(a *kernel.Ctx, p *GEDTargetSet) (any, error) {
	g := &store.GEDTarget{TenantID: a.Cmd.Tenant, URL: p.URL, Username: p.Username, Secret: p.Secret, OnClose: p.OnClose, UpdatedAt: a.At}
	if err := a.Tx.SetGEDTarget(g); err != nil {
		return nil, err
	}
	// New settings are usually a fix (a password, a URL): what failed or
	// waits is tried again at once with them.
	if err := a.Tx.RequeueFailedGEDExports(a.Cmd.Tenant, a.At); err != nil {
		return nil, err
	}
	if err := a.Tx.RetryGEDExportsNow(a.Cmd.Tenant, a.At); err != nil {
		return nil, err
	}
	if p.Secret != "" {
		p.Secret = "***"
	}
	a.Payload = kernel.Redact(p)
	a.Summary = "Export vers la GED : " + p.URL
	return g, nil
}

// QueueOnClose queues the export of a letter being closed when the tenant
// exports on closing. It is the letters' "on close" hook, wired by the
// facade and run inside the close's Apply. The row's id comes from the
// command's, so that every node writes the same row without anything
// stamped for it.
func QueueOnClose(a *kernel.Ctx, l *domain.Letter) error {
	g, err := a.Tx.GEDTarget(a.Ctx, a.Cmd.Tenant)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !g.OnClose:
		return nil
	}
	return a.Tx.InsertGEDExport(&store.GEDExport{ID: "ged-" + a.Cmd.ID, TenantID: a.Cmd.Tenant, LetterID: l.ID, Reason: GEDReasonClose,
		Status: GEDQueued, NextTry: a.At, CreatedAt: a.At})
}

func applyGEDExportQueue(a *kernel.Ctx, p *GEDExportQueue) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if _, err := a.Tx.GEDTarget(a.Ctx, a.Cmd.Tenant); err != nil {
		return nil, err
	}
	e := &store.GEDExport{ID: p.ID, TenantID: a.Cmd.Tenant, LetterID: l.ID, Reason: p.Reason, Status: GEDQueued, NextTry: a.At, CreatedAt: a.At}
	if err := a.Tx.InsertGEDExport(e); err != nil {
		return nil, err
	}
	a.Summary = "Export vers la GED demandé"
	return e, nil
}

func applyGEDExportResult(a *kernel.Ctx, p *GEDExportResult) (any, error) {
	e, err := a.Tx.GEDExport(a.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if e.TenantID != a.Cmd.Tenant {
		return nil, fmt.Errorf("export %s: %w", p.ID, kernel.ErrNotFound)
	}
	if e.Status != GEDQueued {
		return nil, fmt.Errorf("%w: export %s déjà %s", kernel.ErrConflict, e.ID, e.Status)
	}
	e.Attempts, e.LastError = p.Attempts, p.Error
	switch p.Status {
	case GEDDone:
		e.Status, e.NextTry, e.DoneAt, e.Location, e.Files = GEDDone, "", a.At, p.Location, p.Files
		a.Summary = "Exporté vers la GED : " + p.Location
	case GEDFailed:
		e.Status, e.NextTry = GEDFailed, ""
		a.Summary = "Export vers la GED abandonné : " + p.Error
	case GEDQueued:
		e.NextTry = p.NextTry
		a.Summary = fmt.Sprintf("Export vers la GED : tentative %d échouée, nouvel essai prévu (%s)", p.Attempts, p.Error)
	default:
		return nil, fmt.Errorf("%w: statut d'export %q inconnu", kernel.ErrInvalid, p.Status)
	}
	if err := a.Tx.UpdateGEDExport(e); err != nil {
		return nil, err
	}
	a.LetterID = e.LetterID
	return e, nil
}

func applyOnlyOfficeSet(a *kernel.Ctx, p *OnlyOfficeSet) (any, error) {
	o := &store.OnlyOfficeServer{TenantID: a.Cmd.Tenant, URL: p.URL, Secret: p.Secret, UpdatedAt: a.At}
	if err := a.Tx.SetOnlyOfficeServer(o); err != nil {
		return nil, err
	}
	a.Payload = kernel.Redact(OnlyOfficeSet{URL: p.URL, Secret: "***"})
	a.Summary = "Serveur OnlyOffice : " + p.URL
	return o, nil
}

package appliance

import "missive/appliance/ged"

// The GED export (appliance/ged) under the names the outer layers use. Its
// "on close" hook, which closing a letter calls, is wired in Kinds.
type (
	GEDTargetInput  = ged.GEDTargetInput
	OnlyOfficeInput = ged.OnlyOfficeInput
	GEDTargetSet    = ged.GEDTargetSet
	GEDExportQueue  = ged.GEDExportQueue
	GEDExportResult = ged.GEDExportResult
	OnlyOfficeSet   = ged.OnlyOfficeSet
)

const (
	KindGEDTargetSet    = ged.KindGEDTargetSet
	KindGEDExportQueue  = ged.KindGEDExportQueue
	KindGEDExportResult = ged.KindGEDExportResult
	KindOnlyOfficeSet   = ged.KindOnlyOfficeSet

	GEDQueued = ged.GEDQueued
	GEDDone   = ged.GEDDone
	GEDFailed = ged.GEDFailed

	GEDReasonClose  = ged.GEDReasonClose
	GEDReasonManual = ged.GEDReasonManual
)

package org

import "missive/appliance/kernel"

// Commands of the doctypes beyond doctype.create (command_core.go). They are
// registered in register.go.
const (
	// KindDoctypeUpdate changes a doctype: everything but its code.
	KindDoctypeUpdate kernel.Kind = "doctype.update"
)

// DoctypeUpdate carries every field an admin may change, not only those
// changed: Apply replaces them all.
type DoctypeUpdate struct {
	DoctypeID        string `json:"doctype_id"`
	Label            string `json:"label"`
	DelayDays        int    `json:"delay_days"`
	RemindBefore     int    `json:"remind_before"`
	RemindAfter      int    `json:"remind_after"`
	Mode             string `json:"mode"`
	RetentionYears   int    `json:"retention_years"`
	FinalDisposition string `json:"final_disposition"`
	// DelayUnit is absent from the entries written before delays had a
	// unit; see DoctypeCreate.
	DelayUnit string `json:"delay_unit,omitempty"`
}

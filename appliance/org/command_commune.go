package org

import "missive/appliance/kernel"

// Commands of the commune's and its services' details, registered in
// register.go.
const (
	// KindTenantUpdate changes the commune's name, contact details and
	// calendar.
	KindTenantUpdate kernel.Kind = "tenant.update"
	// KindEntityUpdate changes a service's name and contact details; its
	// code and place in the tree stay.
	KindEntityUpdate kernel.Kind = "entity.update"
)

// TenantUpdate carries every field an administrator may change, not only
// those changed: Apply replaces them all.
type TenantUpdate struct {
	Name          string `json:"name"`
	Address       string `json:"address"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Website       string `json:"website"`
	AlsaceMoselle bool   `json:"alsace_moselle"`
}

// EntityUpdate, like TenantUpdate, carries every field it changes.
type EntityUpdate struct {
	EntityID string `json:"entity_id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Address  string `json:"address"`
	Phone    string `json:"phone"`
}

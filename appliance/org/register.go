package org

import "missive/appliance/kernel"

// Register registers the apply function of each organisation kind with r.
func Register(r *kernel.Registry) {
	kernel.Handle(r, KindTenantCreate, applyTenantCreate)
	kernel.Handle(r, KindTenantUpdate, applyTenantUpdate)
	kernel.Handle(r, KindEntityCreate, applyEntityCreate)
	kernel.Handle(r, KindEntityUpdate, applyEntityUpdate)
	kernel.Handle(r, KindUserCreate, applyUserCreate)
	kernel.Handle(r, KindUserUpdate, applyUserUpdate)
	kernel.Handle(r, KindUserPassword, applyUserPassword)
	kernel.Handle(r, KindTokenCreate, applyTokenCreate)
	kernel.Handle(r, KindTokenRevoke, applyTokenRevoke)
	kernel.Handle(r, KindContactCreate, applyContactCreate)
	kernel.Handle(r, KindDoctypeCreate, applyDoctypeCreate)
	kernel.Handle(r, KindDoctypeUpdate, applyDoctypeUpdate)
	kernel.Handle(r, KindWebKeyCreate, applyWebKeyCreate)
	kernel.Handle(r, KindSessionsRevoke, applySessionsRevoke)
}

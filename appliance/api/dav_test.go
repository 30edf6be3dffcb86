package api_test

import (
	"context"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// davHappyPath drives the WebDAV share's API routes (the share itself is
// tested in webdav/share): restore a version of doc, list and break a lock.
func davHappyPath(t *testing.T, h *harness, doc domain.Document) {
	t.Helper()
	var restored domain.Document
	h.call(t, 201, "POST /api/v1/documents/{id}/versions/{version}/restore", h.admin, nil, &restored, doc.ID, "1")
	n := len(restored.Versions)
	if n < 2 || restored.Versions[n-1].SHA256 != restored.Versions[0].SHA256 {
		t.Fatalf("restored document: %+v", restored.Versions)
	}
	ctx := context.Background()
	target, err := h.env.Svc.DavUserSpace(h.env.Admin, "admin")
	if err != nil {
		t.Fatal(err)
	}
	lk, err := h.env.Svc.DavLock(ctx, h.env.Admin, target, appliance.DavLockInput{Path: "/projet.odt", Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	var locks []domain.DavLock
	h.call(t, 200, "GET /api/v1/dav/locks", h.admin, nil, &locks)
	if len(locks) != 1 || locks[0].Token != lk.Token || locks[0].Root != "/~admin/projet.odt" {
		t.Fatalf("locks: %+v", locks)
	}
	h.call(t, 204, "DELETE /api/v1/dav/locks/{token}", h.admin, nil, nil, lk.Token)
	h.call(t, 200, "GET /api/v1/dav/locks", h.admin, nil, &locks)
	if len(locks) != 0 {
		t.Fatalf("lock not broken: %+v", locks)
	}
}

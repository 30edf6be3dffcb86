package share

import (
	"context"
	"path"
	"strings"

	"missive/appliance"
)

// DraftTemplates shows the tenant's reply templates (appliance drafts) in
// the read-only modeles folder, each under its name and format.
type DraftTemplates struct{ Svc *appliance.Service }

func (d DraftTemplates) DavTemplates(ctx context.Context, a *appliance.Actor) ([]Template, error) {
	ts, err := d.Svc.DraftTemplates(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(ts))
	for _, t := range ts {
		name := t.Name
		if ext := "." + strings.ToLower(t.Format); t.Format != "" && strings.ToLower(path.Ext(name)) != ext {
			name += ext
		}
		out = append(out, Template{Name: name, SHA256: t.SHA256, Size: t.Size, ModTime: parseTime(t.CreatedAt)})
	}
	return out, nil
}

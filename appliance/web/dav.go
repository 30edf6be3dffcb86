package web

import (
	"html"
	"html/template"
	"net/http"
	"strconv"

	"missive/appliance"
	"missive/appliance/domain"
)

// letterDAV is the letter page's view of the WebDAV share: the folder's
// address to copy into a file manager, OnlyOffice Desktop or Nextcloud, and
// per document its address and the link that opens it in LibreOffice.
type letterDAV struct {
	Folder string
	URLs   map[string]string
	// Open holds whole href attributes (vnd.libreoffice.command:ofe|u|<url>):
	// html/template would percent-encode the "|" of an unknown scheme.
	Open map[string]template.HTMLAttr
}

func (s *Server) letterDAVData(r *http.Request, q *request, l *domain.Letter) (*letterDAV, error) {
	folder, paths, err := s.svc.DavDocumentURLs(r.Context(), q.actor, l.ID)
	if err != nil {
		return nil, err
	}
	d := &letterDAV{Folder: s.absolute(r, folder), URLs: map[string]string{}, Open: map[string]template.HTMLAttr{}}
	for id, p := range paths {
		u := s.absolute(r, p)
		d.URLs[id] = u
		d.Open[id] = template.HTMLAttr(`href="` + html.EscapeString("vnd.libreoffice.command:ofe|u|"+u) + `"`)
	}
	return d, nil
}

// restoreVersion makes an old version of a document its newest (a
// Command: the history records it).
func (s *Server) restoreVersion(r *http.Request, q *request, id string) (string, error) {
	v, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || v < 1 {
		return "", appliance.FieldErrors{"version": tr(q.lang, "dav.badversion")}
	}
	d, err := s.svc.RestoreVersion(r.Context(), q.actor, id, r.PostForm.Get("document_id"), v)
	if err != nil {
		return "", err
	}
	return tf(q.lang, "dav.restored", v, d.Name, len(d.Versions)), nil
}

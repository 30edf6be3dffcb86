package share

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"time"

	"missive/appliance"
	"missive/appliance/domain"

	"golang.org/x/net/webdav"
)

// fileInfo is an entry as os.FileInfo, with the ETag and content type that
// x/net/webdav would otherwise compute by reading the content.
type fileInfo struct {
	name string
	e    *entry
}

func (i *fileInfo) Name() string { return i.name }
func (i *fileInfo) Size() int64  { return i.e.size }
func (i *fileInfo) Mode() fs.FileMode {
	if i.e.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i *fileInfo) ModTime() time.Time { return i.e.mod }
func (i *fileInfo) IsDir() bool        { return i.e.dir }
func (i *fileInfo) Sys() any           { return nil }

// ETag is the content's hash: the same bytes have the same tag on every
// node, and a save that changes nothing keeps it.
func (i *fileInfo) ETag(context.Context) (string, error) {
	if i.e.dir || i.e.sha == "" {
		return "", webdav.ErrNotImplemented
	}
	return `"` + i.e.sha[:32] + `"`, nil
}

func (i *fileInfo) ContentType(context.Context) (string, error) {
	if i.e.dir {
		return "", webdav.ErrNotImplemented
	}
	if t := mime.TypeByExtension(path.Ext(i.name)); t != "" {
		return t, nil
	}
	if i.e.mime != "" {
		return i.e.mime, nil
	}
	return "application/octet-stream", nil
}

// file is an existing entry opened to read, list or patch properties.
type file struct {
	fs   *fileSystem
	name string
	t    *target
	rest string
	e    *entry
	rc   io.ReadSeekCloser
}

func (f *file) open() error {
	if f.rc != nil {
		return nil
	}
	if f.e.dir {
		return fmt.Errorf("%s: %w", f.name, os.ErrInvalid)
	}
	rc, err := f.fs.st.h.svc.DavOpen(f.e.sha)
	if err != nil {
		return err
	}
	f.rc = rc
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	if err := f.open(); err != nil {
		return 0, err
	}
	return f.rc.Read(p)
}

func (f *file) Seek(off int64, whence int) (int64, error) {
	if err := f.open(); err != nil {
		return 0, err
	}
	return f.rc.Seek(off, whence)
}

func (f *file) Write([]byte) (int, error) { return 0, os.ErrPermission }

func (f *file) Close() error {
	if f.rc != nil {
		return f.rc.Close()
	}
	return nil
}

func (f *file) Stat() (os.FileInfo, error) { return f.fs.info(f.name, f.e), nil }

func (f *file) Readdir(count int) ([]os.FileInfo, error) {
	if !f.e.dir {
		return nil, os.ErrInvalid
	}
	var out []os.FileInfo
	if f.t == nil {
		es, err := f.fs.st.rootEntries()
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out = append(out, &fileInfo{name: e.path[1:], e: e})
		}
		return out, nil
	}
	v, err := f.fs.st.view(f.t)
	if err != nil {
		return nil, err
	}
	for _, e := range v.children[f.rest] {
		out = append(out, &fileInfo{name: e.name(), e: e})
	}
	return out, nil
}

func (f *file) DeadProps() (map[xml.Name]webdav.Property, error) {
	m := map[xml.Name]webdav.Property{}
	if f.e.lazyProps && f.t != nil {
		props, err := f.fs.st.h.svc.DavProps(f.fs.st.ctx, f.t.t, "/")
		if err != nil {
			return nil, err
		}
		f.e.props, f.e.lazyProps = props, false
	}
	for _, p := range f.e.props {
		n := xml.Name{Space: p.NS, Local: p.Name}
		m[n] = webdav.Property{XMLName: n, Lang: p.Lang, InnerXML: []byte(p.XML)}
	}
	return m, nil
}

func toProps(patches []webdav.Proppatch) ([]domain.DavProp, []webdav.Property) {
	var out []domain.DavProp
	var names []webdav.Property
	for _, pp := range patches {
		for _, p := range pp.Props {
			out = append(out, domain.DavProp{NS: p.XMLName.Space, Name: p.XMLName.Local, Lang: p.Lang, XML: string(p.InnerXML), Remove: pp.Remove})
			names = append(names, webdav.Property{XMLName: p.XMLName})
		}
	}
	return out, names
}

func (f *file) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	props, names := toProps(patches)
	if f.t == nil || f.t.kind == kindTemplates {
		return []webdav.Propstat{{Status: http.StatusForbidden, Props: names}}, nil
	}
	docID := ""
	if f.e.loose {
		docID = f.e.docID
	}
	defer f.fs.st.changed(f.t)
	if err := f.fs.st.h.svc.DavPropPatch(f.fs.st.ctx, f.fs.st.actor, f.t.t, f.rest, props, f.fs.st.tokens, docID); err != nil {
		return nil, f.fs.st.fail(err)
	}
	return []webdav.Propstat{{Status: http.StatusOK, Props: names}}, nil
}

// writeFile is a file being written (PUT, or the target of a COPY).
type writeFile struct {
	fs    *fileSystem
	t     *target
	rest  string
	name  string
	docID string
	pw    *io.PipeWriter
	n     int64
	props []domain.DavProp
	done  chan struct{}
	blob  *appliance.DavBlob
	err   error
}

func (w *writeFile) Write(p []byte) (int, error) {
	n, err := w.pw.Write(p)
	w.n += int64(n)
	if err != nil {
		<-w.done
		if w.err != nil {
			return n, w.fs.st.fail(w.err)
		}
	}
	return n, err
}

func (w *writeFile) Read([]byte) (int, error)           { return 0, os.ErrPermission }
func (w *writeFile) Seek(int64, int) (int64, error)     { return 0, os.ErrPermission }
func (w *writeFile) Readdir(int) ([]os.FileInfo, error) { return nil, os.ErrInvalid }
func (w *writeFile) Stat() (os.FileInfo, error) {
	return w.fs.info(w.name, &entry{path: w.rest, size: w.n, mod: time.Now()}), nil
}

func (w *writeFile) DeadProps() (map[xml.Name]webdav.Property, error) {
	return map[xml.Name]webdav.Property{}, nil
}

// Patch keeps the properties a COPY carries over for the command that
// Close proposes, so the file and its properties arrive together.
func (w *writeFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	props, names := toProps(patches)
	w.props = append(w.props, props...)
	return []webdav.Propstat{{Status: http.StatusOK, Props: names}}, nil
}

func (w *writeFile) Close() error {
	st := w.fs.st
	if st.bodyErr != nil || (st.method == "PUT" && st.length >= 0 && w.n != st.length) {
		w.pw.CloseWithError(io.ErrUnexpectedEOF)
		<-w.done
		st.status = http.StatusBadRequest
		return io.ErrUnexpectedEOF
	}
	w.pw.Close()
	<-w.done
	if w.err != nil {
		return w.fs.st.fail(w.err)
	}
	defer w.fs.st.changed(w.t)
	_, err := w.fs.st.h.svc.DavPut(w.fs.st.ctx, w.fs.st.actor, w.t.t, appliance.DavPutInput{
		Path: w.rest, Blob: w.blob, Tokens: w.fs.st.tokens, Props: w.props, DocumentID: w.docID})
	if err != nil {
		return w.fs.st.fail(err)
	}
	return nil
}

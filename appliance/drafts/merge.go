// Package drafts owns reply drafts as files: the merge of an ODT or DOCX
// template with a letter's fields ({{numero}}-style placeholders), the
// built-in French reply template used when a town has none, and the
// conversion of a finished answer to PDF with LibreOffice. It knows nothing
// of the store: appliance chooses the template, gathers the values and
// attaches the result to the letter through a Command.
package drafts

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// Format is the kind of word-processing file a template is.
type Format string

const (
	ODT  Format = "odt"
	DOCX Format = "docx"
)

// Ext is the file extension of a merged draft.
func (f Format) Ext() string { return "." + string(f) }

// MIME is the media type of a merged draft.
func (f Format) MIME() string {
	if f == DOCX {
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	}
	return mimeODT
}

const (
	mimeODT       = "application/vnd.oasis.opendocument.text"
	mimeOTT       = "application/vnd.oasis.opendocument.text-template"
	docxMainType  = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	dotxMainType  = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
	docxMacroMain = "application/vnd.ms-word.document.macroEnabled.main+xml"
	dotmMacroMain = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
	// maxPartSize bounds one XML part once uncompressed: a zip bomb
	// stops here.
	maxPartSize = 64 << 20
)

// ErrNotTemplate means the file is neither an ODT nor a DOCX document.
var ErrNotTemplate = errors.New("le modèle doit être un document ODT (LibreOffice) ou DOCX (Word)")

// MaxTemplateSize bounds an uploaded template, in bytes: a letterhead
// with its logos is a few hundred kilobytes.
const MaxTemplateSize = 20 << 20

// Values maps a placeholder name (without braces) to its text. A name the
// template uses but Values lacks is left in the draft as typed, so that the
// agent sees it and fills it in by hand.
type Values map[string]string

// placeholder is {{name}}, spaces allowed inside the braces: "{{ nom }}".
// Names are lowercase ASCII with underscores, which no XML escaping
// touches, so matching on the raw XML text is exact.
var placeholder = regexp.MustCompile(`\{\{[ \t]*([a-z][a-z0-9_]*)[ \t]*\}\}`)

// Detect says what kind of document b is.
func Detect(b []byte) (Format, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", fmt.Errorf("%w: ce n'est pas une archive OpenDocument ou Office Open XML", ErrNotTemplate)
	}
	return detect(zr)
}

func detect(zr *zip.Reader) (Format, error) {
	for _, f := range zr.File {
		switch f.Name {
		case "mimetype":
			mt, err := readPart(f, 200)
			if err != nil {
				return "", err
			}
			switch strings.TrimSpace(string(mt)) {
			case mimeODT, mimeOTT:
				return ODT, nil
			}
			return "", fmt.Errorf("%w: document OpenDocument de type %q (un texte est attendu)", ErrNotTemplate, strings.TrimSpace(string(mt)))
		case "word/document.xml":
			return DOCX, nil
		}
	}
	return "", ErrNotTemplate
}

func readPart(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: la partie %s dépasse %d octets une fois décompressée", ErrNotTemplate, f.Name, limit)
	}
	return b, nil
}

// mergedPart says whether a zip entry carries text the agent sees: the body,
// headers and footers.
func mergedPart(format Format, name string) bool {
	if format == ODT {
		return name == "content.xml" || name == "styles.xml"
	}
	if name == "word/document.xml" || name == "word/footnotes.xml" || name == "word/endnotes.xml" {
		return true
	}
	dir, base := path.Split(name)
	return dir == "word/" && path.Ext(base) == ".xml" && (strings.HasPrefix(base, "header") || strings.HasPrefix(base, "footer"))
}

// Merge fills a template's placeholders with values and returns the draft:
// an ODT (a template .ott becomes a document .odt) or a DOCX. Every other
// part of the archive is copied byte for byte.
func Merge(tpl []byte, values Values) ([]byte, Format, error) {
	zr, err := zip.NewReader(bytes.NewReader(tpl), int64(len(tpl)))
	if err != nil {
		return nil, "", fmt.Errorf("%w: ce n'est pas une archive OpenDocument ou Office Open XML", ErrNotTemplate)
	}
	format, err := detect(zr)
	if err != nil {
		return nil, "", err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	if format == ODT {
		// ODF 1.2 §3.3: "mimetype" first, stored, no extra field, so that
		// tools recognise the file from its first bytes.
		if err := writeMimetype(zw, mimeODT); err != nil {
			return nil, "", err
		}
	}
	for _, f := range zr.File {
		switch {
		case format == ODT && f.Name == "mimetype":
			continue
		case mergedPart(format, f.Name), f.Name == "META-INF/manifest.xml", f.Name == "[Content_Types].xml":
			b, err := readPart(f, maxPartSize)
			if err != nil {
				return nil, "", err
			}
			switch f.Name {
			case "META-INF/manifest.xml":
				b = bytes.ReplaceAll(b, []byte(`"`+mimeOTT+`"`), []byte(`"`+mimeODT+`"`))
			case "[Content_Types].xml":
				b = bytes.ReplaceAll(b, []byte(dotxMainType), []byte(docxMainType))
				b = bytes.ReplaceAll(b, []byte(dotmMacroMain), []byte(docxMacroMain))
			default:
				b = mergeXML(format, b, values)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified})
			if err != nil {
				return nil, "", err
			}
			if _, err := w.Write(b); err != nil {
				return nil, "", err
			}
		default:
			if err := zw.Copy(f); err != nil {
				return nil, "", fmt.Errorf("copy %s: %w", f.Name, err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, "", fmt.Errorf("write draft: %w", err)
	}
	return out.Bytes(), format, nil
}

// writeMimetype writes the "mimetype" entry as ODF wants it: stored, sizes
// in the local header (no data descriptor), no extra field, so that the
// media type sits at byte 38 of the file.
func writeMimetype(zw *zip.Writer, mt string) error {
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "mimetype", Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte(mt)),
		CompressedSize64: uint64(len(mt)), UncompressedSize64: uint64(len(mt)),
	})
	if err != nil {
		return fmt.Errorf("write mimetype: %w", err)
	}
	_, err = io.WriteString(w, mt)
	return err
}

// Placeholders lists the distinct placeholder names a template uses, in
// order of first appearance, split runs included: the admin page shows them
// so that a typo ({{nmo}}) is seen at upload time.
func Placeholders(tpl []byte) ([]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(tpl), int64(len(tpl)))
	if err != nil {
		return nil, fmt.Errorf("%w: ce n'est pas une archive OpenDocument ou Office Open XML", ErrNotTemplate)
	}
	format, err := detect(zr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, f := range zr.File {
		if !mergedPart(format, f.Name) {
			continue
		}
		b, err := readPart(f, maxPartSize)
		if err != nil {
			return nil, err
		}
		for _, g := range paragraphs(format, b) {
			for _, m := range placeholder.FindAllStringSubmatch(g.text(b), -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					names = append(names, m[1])
				}
			}
		}
	}
	return names, nil
}

// DAVPath is the path of a letter's file on the WebDAV share:
// /dav/<tenant>/<number, "/" replaced by "-">/<file>, each segment escaped.
func DAVPath(tenant, number, name string) string {
	return "/dav/" + url.PathEscape(tenant) + "/" + url.PathEscape(strings.ReplaceAll(number, "/", "-")) + "/" + url.PathEscape(name)
}

// DraftName is the file name of a letter's reply draft or final answer:
// reponse-2026-A-000001.odt.
func DraftName(number, ext string) string {
	return "reponse-" + strings.ReplaceAll(number, "/", "-") + ext
}

package drafts

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testFields are a letter's fields with the characters that break XML.
func testFields() Fields {
	return Fields{
		Tenant: "Mairie de Saint-Martin", Civility: "Madame", Name: `Alice <script>alert("x")</script> Dupont & Fils`,
		Address: "12 rue des Lilas\nBâtiment B", Postcode: "38000", City: "Grenoble",
		Number: "2026/A/000001", Subject: "Travaux & voirie <urgent>", LetterDate: "2026-03-01", ArrivalDate: "2026-03-03",
		User: "Jean L'Agent", Entity: "Urbanisme", Today: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
	}
}

// parts unzips a document into name → content.
func parts(t *testing.T, b []byte) (map[string]string, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("draft is not a zip: %v", err)
	}
	out := map[string]string{}
	var order []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(c)
		order = append(order, f.Name)
	}
	return out, order
}

// plainText is the character data of an XML part, with line breaks as
// "\n": what a reader of the document sees.
func plainText(t *testing.T, part string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(part))
	var sb strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return sb.String()
		}
		if err != nil {
			t.Fatalf("merged part is not well-formed XML: %v\n%s", err, part)
		}
		switch v := tok.(type) {
		case xml.CharData:
			sb.Write(v)
		case xml.StartElement:
			if v.Name.Local == "line-break" || v.Name.Local == "br" {
				sb.WriteString("\n")
			}
		case xml.EndElement:
			if v.Name.Local == "p" {
				sb.WriteString("\n")
			}
		}
	}
}

func TestDefaultTemplateIsODT(t *testing.T) {
	t.Parallel()
	b := DefaultTemplate()
	// ODF: "mimetype" first, stored, its content at byte 38.
	if !bytes.HasPrefix(b[30:], []byte("mimetypeapplication/vnd.oasis.opendocument.text")) {
		t.Fatalf("mimetype is not the first stored entry: %q", b[:80])
	}
	if f, err := Detect(b); err != nil || f != ODT {
		t.Fatalf("Detect = %v, %v", f, err)
	}
	names, err := Placeholders(b)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range FieldList {
		known[f.Name] = true
	}
	for _, n := range names {
		if !known[n] {
			t.Errorf("default template uses unknown field %q", n)
		}
	}
	if !bytes.Equal(b, buildDefault()) {
		t.Error("default template differs from one build to the next")
	}
}

func TestMergeODTEscapes(t *testing.T) {
	t.Parallel()
	out, format, err := Merge(DefaultTemplate(), testFields().Values())
	if err != nil {
		t.Fatal(err)
	}
	if format != ODT {
		t.Fatalf("format %s", format)
	}
	if !bytes.HasPrefix(out[30:], []byte("mimetypeapplication/vnd.oasis.opendocument.text")) {
		t.Fatalf("merged draft: mimetype is not first and stored: %q", out[:80])
	}
	ps, order := parts(t, out)
	if order[0] != "mimetype" {
		t.Fatalf("first entry %q", order[0])
	}
	content := ps["content.xml"]
	text := plainText(t, content)
	for _, want := range []string{
		`Madame Alice <script>alert("x")</script> Dupont & Fils`,
		"12 rue des Lilas\nBâtiment B\n38000 Grenoble",
		"Nos références : 2026/A/000001",
		"Objet : Travaux & voirie <urgent>",
		"Le 1er mars 2026",
		"Votre courrier du 1er mars 2026, reçu le 3 mars 2026",
		"Affaire suivie par : Jean L'Agent",
		"Madame,",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("merged text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(content, "<script>") || strings.Contains(content, "& Fils") {
		t.Errorf("a value reached the XML unescaped:\n%s", content)
	}
	if strings.Contains(text, "{{") {
		t.Errorf("placeholder left:\n%s", text)
	}
}

// odt builds an ODT whose content.xml body is body, the way LibreOffice
// writes a placeholder that was typed in pieces or partly formatted.
func odt(t *testing.T, body, styles string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := writeMimetype(zw, mimeOTT); err != nil {
		t.Fatal(err)
	}
	// In the order LibreOffice writes them (a slice: a map's order would
	// change the order Placeholders finds the fields in from run to run).
	for _, p := range []struct{ name, content string }{
		{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="` + mimeOTT + `"/></manifest:manifest>`},
		{"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + odfNS + `><office:body><office:text>` + body + `</office:text></office:body></office:document-content>`},
		{"styles.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-styles ` + odfNS + `><office:master-styles><style:master-page style:name="Standard"><style:header>` + styles + `</style:header></style:master-page></office:master-styles></office:document-styles>`},
		{"Pictures/logo.png", "\x89PNG not really"},
	} {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMergeODTSplitRuns(t *testing.T) {
	t.Parallel()
	body := `<text:p>Réf. {{<text:span text:style-name="T1">num</text:span>ero}} du <text:span>{{ date_du_jour }}</text:span></text:p>` +
		`<text:p>{{nom}</text:p><text:p>}} ne traverse pas les paragraphes</text:p>` +
		`<text:p>Inconnu : {{champ_inconnu}}; commentaire <!-- {{nom}} --> gardé</text:p>`
	tpl := odt(t, body, `<text:p>En-tête {{commune}}</text:p>`)
	names, err := Placeholders(tpl)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "numero,date_du_jour,champ_inconnu,commune" {
		t.Errorf("Placeholders = %s", got)
	}
	out, _, err := Merge(tpl, testFields().Values())
	if err != nil {
		t.Fatal(err)
	}
	ps, order := parts(t, out)
	if order[0] != "mimetype" || ps["mimetype"] != mimeODT {
		t.Errorf("a template (.ott) must give a document (.odt): mimetype %q first=%q", ps["mimetype"], order[0])
	}
	if !strings.Contains(ps["META-INF/manifest.xml"], `manifest:media-type="`+mimeODT+`"`) {
		t.Errorf("manifest still says template: %s", ps["META-INF/manifest.xml"])
	}
	if ps["Pictures/logo.png"] != "\x89PNG not really" {
		t.Error("other parts must be copied as they are")
	}
	text := plainText(t, ps["content.xml"])
	for _, want := range []string{"Réf. 2026/A/000001 du 1er mars 2026", "{{nom}\n}} ne traverse", "Inconnu : {{champ_inconnu}}"} {
		if !strings.Contains(text, want) {
			t.Errorf("merged text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(ps["content.xml"], "<!-- {{nom}} -->") {
		t.Error("comments are not text: left alone")
	}
	// The formatting of the run where the placeholder starts is kept.
	if !regexp.MustCompile(`Réf\. 2026/A/000001<text:span text:style-name="T1"></text:span> du`).MatchString(ps["content.xml"]) {
		t.Errorf("split placeholder not rewritten in place:\n%s", ps["content.xml"])
	}
	if h := plainText(t, ps["styles.xml"]); !strings.Contains(h, "En-tête Mairie de Saint-Martin") {
		t.Errorf("header (styles.xml) not merged: %s", h)
	}
}

// docx builds a minimal Word document with a header, placeholders split
// across runs as Word does after a spelling check.
func docx(t *testing.T) []byte {
	t.Helper()
	const w = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="` + dotxMainType + `"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ` + w + `><w:body>
<w:p><w:r><w:t xml:space="preserve">Nos réf. : </w:t></w:r><w:r><w:t>{{</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:rPr><w:b/></w:rPr><w:t>numero</w:t></w:r><w:proofErr w:type="spellEnd"/><w:r><w:t>}}</w:t></w:r></w:p>
<w:p><w:r><w:t>{{civilite}} {{nom}}</w:t></w:r></w:p>
<w:p><w:r><w:t>{{adresse_complete}}</w:t></w:r></w:p>
<w:p><w:r><w:instrText> MERGEFIELD {{nom}} </w:instrText></w:r><w:r><w:t>Objet : {{objet}}</w:t></w:r></w:p>
<w:sectPr><w:headerReference w:type="default" r:id="rId1"/></w:sectPr>
</w:body></w:document>`},
		{"word/header1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:hdr ` + w + `><w:p><w:r><w:t xml:space="preserve">{{commune}} — {{ entite }}</w:t></w:r></w:p></w:hdr>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		fw, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMergeDOCX(t *testing.T) {
	t.Parallel()
	out, format, err := Merge(docx(t), testFields().Values())
	if err != nil {
		t.Fatal(err)
	}
	if format != DOCX || format.Ext() != ".docx" {
		t.Fatalf("format %s", format)
	}
	ps, _ := parts(t, out)
	doc := ps["word/document.xml"]
	text := plainText(t, doc)
	for _, want := range []string{
		"Nos réf. : 2026/A/000001",
		`Madame Alice <script>alert("x")</script> Dupont & Fils`,
		"12 rue des Lilas\nBâtiment B\n38000 Grenoble",
		"Objet : Travaux & voirie <urgent>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("merged text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(doc, "<script>") {
		t.Error("value not escaped")
	}
	if !strings.Contains(doc, "MERGEFIELD {{nom}}") {
		t.Error("field codes (w:instrText) are not visible text: left alone")
	}
	if !strings.Contains(doc, "<w:t>2026/A/000001</w:t>") {
		t.Errorf("split number not put in the first run:\n%s", doc)
	}
	if h := plainText(t, ps["word/header1.xml"]); !strings.Contains(h, "Mairie de Saint-Martin — Urbanisme") {
		t.Errorf("header not merged: %s", h)
	}
	if !strings.Contains(ps["[Content_Types].xml"], docxMainType) {
		t.Error("a .dotx template must give a .docx document")
	}
}

func TestMergeRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	for name, b := range map[string][]byte{
		"text":  []byte("pas un zip"),
		"empty": {},
		"zip":   zipOf(t, map[string]string{"a.txt": "x"}),
		"ods":   zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}),
	} {
		if _, _, err := Merge(b, Values{}); err == nil {
			t.Errorf("%s: merged", name)
		}
		if _, err := Detect(b); err == nil {
			t.Errorf("%s: detected", name)
		}
	}
}

func zipOf(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, c := range files {
		w, _ := zw.Create(n)
		io.WriteString(w, c)
	}
	zw.Close()
	return buf.Bytes()
}

func TestFrenchDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2026-03-01": "1er mars 2026", "2026-11-23": "23 novembre 2026", "2026-08-15": "15 août 2026", "": "", "n/a": "n/a"} {
		if got := FrenchDateISO(in); got != want {
			t.Errorf("FrenchDateISO(%q) = %q, want %q", in, got, want)
		}
	}
	if v := (Fields{}).Values(); v["civilite"] != "Madame, Monsieur" {
		t.Errorf("unknown civility gives %q", v["civilite"])
	}
}

func TestDAVPath(t *testing.T) {
	t.Parallel()
	if got := DAVPath("default", "2026/A/000001", DraftName("2026/A/000001", ".odt")); got != "/dav/default/2026-A-000001/reponse-2026-A-000001.odt" {
		t.Errorf("DAVPath = %s", got)
	}
}

func FuzzMergeXML(f *testing.F) {
	f.Add([]byte(`<text:p>{{<text:span>nom</text:span>}} <!-- x --> <![CDATA[{{nom}}]]></text:p>`), true)
	f.Add([]byte(`<w:p><w:r><w:t>{{</w:t></w:r><w:r><w:t a=">">nom}}</w:t></w:r></w:p>`), false)
	f.Add([]byte(`<text:p attr='{{nom}}'>{{ nom }}&amp;{{nom`), true)
	f.Fuzz(func(t *testing.T, b []byte, isODT bool) {
		format := DOCX
		if isODT {
			format = ODT
		}
		out := mergeXML(format, b, Values{"nom": "<&>"})
		if !bytes.Contains(b, []byte("<&>")) && bytes.Contains(out, []byte("<&>")) {
			t.Fatalf("unescaped value in %q", out)
		}
		if !bytes.Contains(b, []byte("{{")) && !bytes.Equal(out, b) {
			t.Fatalf("changed a part without placeholders: %q → %q", b, out)
		}
	})
}

// BenchmarkMerge is the cost of one draft from the built-in template,
// LibreOffice aside: unzip, replace, zip.
func BenchmarkMerge(b *testing.B) {
	tpl, v := DefaultTemplate(), testFields().Values()
	b.SetBytes(int64(len(tpl)))
	for b.Loop() {
		if _, _, err := Merge(tpl, v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValuesCoverFieldList: every placeholder the admin page lists has a
// value, and every value is listed: the acknowledgements' templates, which
// use the same names, rely on both.
func TestValuesCoverFieldList(t *testing.T) {
	t.Parallel()
	v := Fields{MissingPieces: []string{"Plan de situation", "Photographies"}, PiecesDeadline: "2026-04-09"}.Values()
	listed := map[string]bool{}
	for _, f := range FieldList {
		listed[f.Name] = true
		if _, ok := v[f.Name]; !ok {
			t.Errorf("%s is listed but has no value", f.Name)
		}
	}
	for name := range v {
		if !listed[name] {
			t.Errorf("%s has a value but is not listed", name)
		}
	}
	if v["pieces_manquantes"] != "- Plan de situation\n- Photographies" || v["date_limite_pieces"] != "9 avril 2026" {
		t.Errorf("pieces: %q, %q", v["pieces_manquantes"], v["date_limite_pieces"])
	}
}

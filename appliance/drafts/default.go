package drafts

import (
	"archive/zip"
	"bytes"
	"strings"
	"sync"
	"time"
)

// DefaultName is the name the built-in template goes by in the admin page.
const DefaultName = "Modèle par défaut (réponse simple)"

// DefaultTemplate is the French reply template used when a town has
// uploaded none: a plain ODT written here, letter by letter, so that its
// content is ours and its XML stays small enough to read.
var DefaultTemplate = sync.OnceValue(buildDefault)

// The letter's paragraphs, one per line; "|" separates the paragraph style
// from the text. Styles are defined in defaultContent.
var defaultLines = []string{
	"Entete|{{commune}}",
	"Entete|{{entite}}",
	"Standard|",
	"Destinataire|{{civilite}} {{nom}}",
	"Destinataire|{{adresse_complete}}",
	"Standard|",
	"Droite|Le {{date_du_jour}}",
	"Standard|",
	"Ref|Nos références : {{numero}}",
	"Ref|Affaire suivie par : {{agent}}",
	"Objet|Objet : {{objet}}",
	"Ref|Votre courrier du {{date_courrier}}, reçu le {{date_arrivee}}",
	"Standard|",
	"Standard|{{civilite}},",
	"Corps|Nous accusons réception de votre courrier et vous en remercions.",
	"Corps|",
	"Corps|Nous vous prions d'agréer, {{civilite}}, l'expression de nos salutations distinguées.",
	"Standard|",
	"Signature|{{agent}}",
	"Signature|{{entite}}",
}

const defaultManifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
`

const odfNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"`

const defaultStyles = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles ` + odfNS + `>
 <office:font-face-decls/>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="0cm"/>
   <style:text-properties fo:font-size="11pt" fo:language="fr" fo:country="FR" style:font-name="Liberation Sans" fo:font-family="'Liberation Sans'"/>
  </style:default-style>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
 </office:styles>
 <office:automatic-styles>
  <style:page-layout style:name="pm1">
   <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" style:print-orientation="portrait" fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="2.5cm" fo:margin-right="2cm"/>
  </style:page-layout>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1"/>
 </office:master-styles>
</office:document-styles>
`

const defaultMeta = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta ` + odfNS + `>
 <office:meta>
  <meta:generator>Missive</meta:generator>
  <dc:title>Projet de réponse</dc:title>
  <dc:language>fr-FR</dc:language>
 </office:meta>
</office:document-meta>
`

const defaultAutoStyles = `
  <style:style style:name="Entete" style:family="paragraph" style:parent-style-name="Standard">
   <style:text-properties fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Destinataire" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-left="9cm"/>
  </style:style>
  <style:style style:name="Droite" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="end"/>
  </style:style>
  <style:style style:name="Ref" style:family="paragraph" style:parent-style-name="Standard">
   <style:text-properties fo:font-size="10pt"/>
  </style:style>
  <style:style style:name="Objet" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-top="0.2cm"/>
   <style:text-properties fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Corps" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="justify" fo:margin-top="0.2cm"/>
  </style:style>
  <style:style style:name="Signature" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:margin-left="9cm"/>
  </style:style>`

func defaultContent() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<office:document-content ` + odfNS + `>`)
	b.WriteString("\n <office:automatic-styles>" + defaultAutoStyles + "\n </office:automatic-styles>\n")
	b.WriteString(" <office:body>\n  <office:text>\n")
	for _, l := range defaultLines {
		style, text, _ := strings.Cut(l, "|")
		// The lines are ours and contain no markup characters but the
		// apostrophe, which is valid character data as it is.
		b.WriteString(`   <text:p text:style-name="` + style + `">` + text + "</text:p>\n")
	}
	b.WriteString("  </office:text>\n </office:body>\n</office:document-content>\n")
	return b.String()
}

func buildDefault() []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	// A fixed date keeps the template's bytes, hence its hash, the same
	// from one build to the next.
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	parts := []struct {
		name, body string
		method     uint16
	}{
		{"mimetype", mimeODT, zip.Store},
		{"META-INF/manifest.xml", defaultManifest, zip.Deflate},
		{"meta.xml", defaultMeta, zip.Deflate},
		{"styles.xml", defaultStyles, zip.Deflate},
		{"content.xml", defaultContent(), zip.Deflate},
	}
	for _, p := range parts {
		if p.name == "mimetype" {
			if err := writeMimetype(zw, p.body); err != nil {
				panic(err) // writing to memory: cannot fail
			}
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: p.method, Modified: at})
		if err != nil {
			panic(err) // writing to memory: cannot fail
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return out.Bytes()
}

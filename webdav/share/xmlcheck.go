package share

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// maxXMLDepth bounds element nesting in a request body.
const maxXMLDepth = 64

// checkXML vets a request body before x/net/webdav decodes it: well-formed,
// no DOCTYPE (so no entity declarations, hence no entity bomb), no
// namespace prefix bound to the empty name (illegal in XML namespaces 1.0,
// which encoding/xml lets through), bounded nesting. An empty body passes.
func checkXML(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	depth := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("document XML tronqué")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("XML invalide: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errors.New("déclaration DOCTYPE refusée")
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return errors.New("XML trop profond")
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					return fmt.Errorf("préfixe d'espace de noms %q lié à un nom vide", a.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
}

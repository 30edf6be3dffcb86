package devseed

import (
	"fmt"
	"math/rand/v2"
)

// Scan is the scanned document of a letter, for data sets with documents
// (backups are measured on them): a PDF of 20 to 80 kB whose text is the
// letter's and whose image is noise, compressed already like a real scan's.
// It depends only on the letter, so that a seed always gives the same
// files.
func Scan(l Letter) []byte {
	rng := rand.New(rand.NewPCG(uint64(l.Index), 0x5ca9))
	image := make([]byte, 20_000+rng.IntN(60_000))
	for i := range image {
		image[i] = byte(rng.Uint32())
	}
	text := fmt.Sprintf("BT /F1 11 Tf 60 780 Td (%s) Tj ET\n(%s)", l.Subject, l.Body)
	return fmt.Appendf(nil, "%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"+
		"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"+
		"4 0 obj<</Length %d>>stream\n%s\nendstream endobj\n"+
		"5 0 obj<</Type/XObject/Subtype/Image/Width 1240/Height 1754/Filter/DCTDecode/Length %d>>stream\n%s\nendstream endobj\n"+
		"trailer<</Root 1 0 R>>\n%%%%EOF\n", len(text), text, len(image), image)
}

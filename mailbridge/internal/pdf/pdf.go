// Package pdf writes plain-text documents as PDF: A4 pages of Helvetica,
// WinAnsi-encoded so that French accents, « guillemets » and the euro sign
// print, with lines wrapped to the page. It is what a paper
// acknowledgement needs and nothing more; no fonts are embedded (Helvetica
// is one of the 14 fonts every PDF reader has).
package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Page geometry, in points (1/72 inch): A4 with 2 cm margins.
const (
	pageW, pageH = 595, 842
	margin       = 57
	fontSize     = 10.5 // maxWidth below divides by it
	leading      = 14
	// maxWidth is the text width in thousandths of the font size.
	maxWidth = (pageW - 2*margin) * 1000 * 10 / 105
)

// Line is one paragraph; Bold prints it in Helvetica-Bold, Indent (in
// points) moves it right, as the addressee's block of a letter.
type Line struct {
	Text   string
	Bold   bool
	Indent int
}

// Document renders paragraphs (an empty one is a blank line) as a PDF,
// title being its metadata title.
func Document(title string, paras []Line) []byte {
	var lines []Line
	for _, p := range paras {
		// An indent never leaves less than a quarter of the line.
		w := max(maxWidth-p.Indent*1000*10/105, maxWidth/4)
		for _, l := range wrap(p.Text, p.Bold, w) {
			lines = append(lines, Line{l, p.Bold, p.Indent})
		}
	}
	perPage := (pageH - 2*margin) / leading
	var pages [][]Line
	for len(lines) > perPage {
		pages = append(pages, lines[:perPage])
		lines = lines[perPage:]
	}
	pages = append(pages, lines)

	w := &writer{}
	w.buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects: 1 catalog, 2 pages, 3 regular font, 4 bold font, 5 info,
	// then a page and its content stream for each page.
	nPages := len(pages)
	kids := make([]string, nPages)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 6+2*i)
	}
	w.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.object(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), nPages))
	w.object(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	w.object(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	w.object(5, "<< /Title "+literal(title)+" /Producer (Missive) >>")
	for i, pl := range pages {
		var c bytes.Buffer
		c.WriteString("BT\n")
		font := ""
		for j, l := range pl {
			f := "/F1"
			if l.Bold {
				f = "/F2"
			}
			if f != font {
				fmt.Fprintf(&c, "%s %.1f Tf\n", f, fontSize)
				font = f
			}
			fmt.Fprintf(&c, "1 0 0 1 %d %d Tm %s Tj\n", margin+l.Indent, pageH-margin-leading*(j+1), literal(l.Text))
		}
		c.WriteString("ET\n")
		w.object(6+2*i, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>",
			pageW, pageH, 7+2*i))
		w.object(7+2*i, fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.Bytes()))
	}
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, xref)
	return w.buf.Bytes()
}

type writer struct {
	buf     bytes.Buffer
	offsets []int // by object number - 1; objects are written in order
}

func (w *writer) object(n int, body string) {
	w.offsets = append(w.offsets, w.buf.Len())
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

// literal is a PDF string in WinAnsi: parentheses and backslashes escaped,
// bytes outside printable ASCII in octal.
func literal(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, c := range winAnsi(s) {
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// cp1252 maps the characters WinAnsiEncoding places in 0x80–0x9F.
var cp1252 = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b,
	'Œ': 0x8c, 'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99,
	'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
	// French typography's narrow and ordinary no-break spaces.
	'\u202f': 0xa0, '\u2009': ' ',
}

// winAnsi encodes s; a character the encoding lacks becomes '?'.
func winAnsi(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\t':
			out = append(out, ' ', ' ', ' ', ' ')
		case r < 0x80 || (r >= 0xa0 && r <= 0xff):
			out = append(out, byte(r))
		default:
			if c, ok := cp1252[r]; ok {
				out = append(out, c)
			} else {
				out = append(out, '?')
			}
		}
	}
	return out
}

// wrap cuts a paragraph into lines that fit the page width, at spaces;
// a word longer than a line is cut.
func wrap(text string, bold bool, maxWidth int) []string {
	text = strings.TrimRight(text, " \r\n")
	if text == "" {
		return []string{""}
	}
	var lines []string
	var cur strings.Builder
	curW := 0
	for _, word := range strings.Fields(text) {
		ww := width(word, bold)
		sp := width(" ", bold)
		if cur.Len() > 0 && curW+sp+ww > maxWidth {
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		for ww > maxWidth { // a long URL or reference
			cut, cw := 0, 0
			for i, r := range word {
				rw := runeWidth(r, bold)
				if cw+rw > maxWidth {
					cut = i
					break
				}
				cw += rw
			}
			if cut == 0 {
				_, cut = utf8.DecodeRuneInString(word)
			}
			if cur.Len() > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
				curW = 0
			}
			lines = append(lines, word[:cut])
			word = word[cut:]
			ww = width(word, bold)
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
			curW += sp
		}
		cur.WriteString(word)
		curW += ww
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func width(s string, bold bool) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r, bold)
	}
	return w
}

// runeWidth approximates Helvetica's advance widths (thousandths of the
// font size) by class of character; a little generous, so that a line
// never runs off the page.
func runeWidth(r rune, bold bool) int {
	w := 556 // digits and most lower-case letters
	switch {
	case r == ' ':
		w = 278
	case strings.ContainsRune("iljI.,;:'!|í", r):
		w = 278
	case strings.ContainsRune("ft r()[]-", r):
		w = 333
	case r == 'm' || r == 'M' || r == 'W' || r == 'w' || r == '@' || r == '%':
		w = 889
	case r >= 'A' && r <= 'Z', r >= 0xc0 && r <= 0xde:
		w = 722
	}
	if bold {
		w += w / 10
	}
	return w
}

package drafts

import (
	"bytes"
	"sort"
	"strings"
)

// Word processors split what the user typed in one go across several runs
// as soon as formatting, spell checking, revision ids or an autocorrection
// touches part of it: "{{numero}}" may reach the file as
// <w:t>{{</w:t></w:r><w:proofErr/><w:r><w:t>numero}}</w:t>. So placeholders
// are found in the paragraph's text with the tags taken out, and the
// replacement goes into the run where the placeholder starts (it takes that
// run's formatting); the rest of the placeholder is cut from the runs that
// follow, which stay in place, possibly empty. The XML is never parsed into
// a tree and written back: every byte outside a placeholder is kept as it
// was, so nothing the word processor wrote is lost or reordered.

// chunk is one stretch of character data, as raw (escaped) bytes of the part.
type chunk struct{ start, end int }

// paragraph is the visible text of one paragraph, as the chunks that make it.
type paragraph []chunk

func (p paragraph) text(b []byte) string {
	var sb strings.Builder
	for _, c := range p {
		sb.Write(b[c.start:c.end])
	}
	return sb.String()
}

// paragraphs scans an XML part and groups the character data a reader sees,
// paragraph by paragraph: in ODT the text of <text:p> and <text:h>, in DOCX
// the content of <w:t> within <w:p>. Comments, CDATA and processing
// instructions are skipped; a malformed tail ends the scan (the part is then
// copied as it is from there on).
func paragraphs(format Format, b []byte) []paragraph {
	var out []paragraph
	var cur paragraph
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	depth := 0 // ODT: open text:p/text:h elements
	inT := false
	for i := 0; i < len(b); {
		if b[i] != '<' {
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				j = len(b) - i
			}
			if (format == ODT && depth > 0) || (format == DOCX && inT) {
				cur = append(cur, chunk{i, i + j})
			}
			i += j
			continue
		}
		end, name, closing, self := scanTag(b, i)
		if end < 0 {
			break
		}
		i = end
		if name == "" {
			continue
		}
		switch format {
		case ODT:
			if name == "text:p" || name == "text:h" {
				flush()
				switch {
				case self:
				case closing:
					depth = max(depth-1, 0)
				default:
					depth++
				}
			}
		case DOCX:
			switch name {
			case "w:p":
				flush()
				inT = false
			case "w:t":
				inT = !closing && !self
			}
		}
	}
	flush()
	return out
}

// scanTag reads the markup that starts at b[i] == '<' and returns the index
// just after it and, for an element tag, its name and whether it is a
// closing or self-closing tag. end is -1 when the markup never ends.
func scanTag(b []byte, i int) (end int, name string, closing, self bool) {
	rest := b[i:]
	for _, d := range []struct{ open, close string }{{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}} {
		if bytes.HasPrefix(rest, []byte(d.open)) {
			k := bytes.Index(rest[len(d.open):], []byte(d.close))
			if k < 0 {
				return -1, "", false, false
			}
			return i + len(d.open) + k + len(d.close), "", false, false
		}
	}
	var quote byte
	for k := 1; k < len(rest); k++ {
		c := rest[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			tag := rest[1:k]
			if len(tag) > 0 && tag[0] == '!' {
				return i + k + 1, "", false, false // <!DOCTYPE …>
			}
			if len(tag) > 0 && tag[0] == '/' {
				closing = true
				tag = tag[1:]
			}
			if len(tag) > 0 && tag[len(tag)-1] == '/' {
				self = true
				tag = tag[:len(tag)-1]
			}
			n := bytes.IndexAny(tag, " \t\r\n")
			if n < 0 {
				n = len(tag)
			}
			return i + k + 1, string(tag[:n]), closing, self
		}
	}
	return -1, "", false, false
}

type edit struct {
	start, end int
	repl       string
}

// mergeXML replaces the placeholders of one part that values name.
func mergeXML(format Format, b []byte, values Values) []byte {
	var edits []edit
	for _, p := range paragraphs(format, b) {
		text := p.text(b)
		for _, m := range placeholder.FindAllStringSubmatchIndex(text, -1) {
			v, ok := values[text[m[2]:m[3]]]
			if !ok {
				continue
			}
			edits = append(edits, p.cut(m[0], m[1], escapeValue(format, v))...)
		}
	}
	if len(edits) == 0 {
		return b
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	out.Grow(len(b))
	last := 0
	for _, e := range edits {
		out.Write(b[last:e.start])
		out.WriteString(e.repl)
		last = e.end
	}
	out.Write(b[last:])
	return out.Bytes()
}

// cut maps the text range [from, to) of the paragraph back to the raw bytes
// of its chunks: the first chunk touched receives repl, the others lose
// their share of the range.
func (p paragraph) cut(from, to int, repl string) []edit {
	var edits []edit
	off := 0
	first := true
	for _, c := range p {
		n := c.end - c.start
		lo, hi := max(from, off), min(to, off+n)
		if lo < hi {
			e := edit{start: c.start + lo - off, end: c.start + hi - off}
			if first {
				e.repl, first = repl, false
			}
			edits = append(edits, e)
		}
		off += n
		if off >= to {
			break
		}
	}
	return edits
}

// escapeValue makes a value safe as character data of the part, and turns
// line breaks and tabs into the format's own elements so that a postal
// address keeps its lines. Characters XML 1.0 forbids are dropped: a value
// may come from a citizen's e-mail.
func escapeValue(format Format, v string) string {
	var sb strings.Builder
	for _, r := range strings.ReplaceAll(v, "\r\n", "\n") {
		switch r {
		case '&':
			sb.WriteString("&amp;")
		case '<':
			sb.WriteString("&lt;")
		case '>':
			sb.WriteString("&gt;")
		case '"':
			sb.WriteString("&quot;")
		case '\'':
			sb.WriteString("&apos;")
		case '\n':
			if format == ODT {
				sb.WriteString("<text:line-break/>")
			} else {
				sb.WriteString(`</w:t><w:br/><w:t xml:space="preserve">`)
			}
		case '\t':
			if format == ODT {
				sb.WriteString("<text:tab/>")
			} else {
				sb.WriteString(`</w:t><w:tab/><w:t xml:space="preserve">`)
			}
		default:
			if r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
				continue
			}
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

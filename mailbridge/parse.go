package mailbridge

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"mime"
	"net/mail"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decodes ISO-8859-*, Windows-125x … in headers and bodies
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Message is what Missive reads of an e-mail. Parse never fails: what
// cannot be read is listed in Problems and kept as raw bytes, and the
// original message is always kept whole beside it.
type Message struct {
	MessageID  string // without angle brackets; "" when absent
	FromName   string
	FromAddr   string
	To, Cc     []string // addresses, lower-case
	Subject    string
	Date       time.Time // zero when absent or unreadable
	Text       string    // the body as text, for the letter and the search index
	HTML       string    // the HTML body when there is one (kept for display)
	InReplyTo  []string
	References []string
	Parts      []Part
	Header     textproto.Header
	// ReturnPath is the Return-Path header (the envelope sender a mailbox
	// delivery recorded); HasReturnPath says whether there was one.
	ReturnPath    string
	HasReturnPath bool
	// Report is set for a delivery status notification (bounce).
	Report   *Report
	Problems []string
}

// Part is an attachment, an inline image or a forwarded message.
type Part struct {
	Name   string
	MIME   string
	Data   []byte
	Inline bool
}

// Report is what a delivery status notification says.
type Report struct {
	Status     string   // e.g. 5.1.1
	Diagnostic string   // Diagnostic-Code, when given
	Recipient  string   // Final-Recipient
	Original   []string // Message-IDs of the message it is about
}

// ParseLimits bound the work and the documents one message may cause: an
// anonymous sender controls its structure (30,000 parts, multiparts nested
// a thousand deep).
type ParseLimits struct {
	// MaxParts bounds the MIME entities read; parts beyond it are not
	// read, and become no document: the original .eml keeps them.
	MaxParts int
	// MaxDepth bounds nested multiparts and forwarded messages: deeper
	// ones are kept as raw bytes.
	MaxDepth int
}

// DefaultParseLimits are the limits of a fresh install.
var DefaultParseLimits = ParseLimits{MaxParts: 100, MaxDepth: 12}

func (l ParseLimits) orDefaults() ParseLimits {
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultParseLimits.MaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultParseLimits.MaxDepth
	}
	return l
}

// Parse reads raw as an e-mail, within DefaultParseLimits.
func Parse(raw []byte) *Message { return ParseWith(raw, DefaultParseLimits) }

// ParseWith reads raw as an e-mail within lim. Parts keep slices of raw or
// their decoded bytes: raw is not copied whole.
func ParseWith(raw []byte, lim ParseLimits) *Message {
	m, h, body := parseHeader(raw)
	p := &walker{m: m, lim: lim.orDefaults()}
	p.entity(h, body, 0)
	if m.Text == "" && m.HTML != "" {
		m.Text = HTMLToText(m.HTML)
	}
	// A NUL is no text (PostgreSQL refuses it, and a letter must not be
	// refused for it): it goes, the .eml keeps the bytes as they came.
	if strings.ContainsRune(m.Text, 0) {
		m.Text = strings.ReplaceAll(m.Text, "\x00", "")
		m.Problems = append(m.Problems, "caractères nuls retirés du texte")
	}
	m.HTML = strings.ReplaceAll(m.HTML, "\x00", "")
	m.Text = strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	if m.Subject == "" {
		m.Subject = "(sans objet)"
	}
	return m
}

// parseHeader reads a message's header and returns the rest, a slice of
// raw.
func parseHeader(raw []byte) (*Message, textproto.Header, []byte) {
	m := &Message{}
	rd := bytes.NewReader(raw)
	br := bufio.NewReader(rd)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		m.Problems = append(m.Problems, "en-tête illisible: "+err.Error())
	}
	m.Header = h
	body := raw[len(raw)-rd.Len()-br.Buffered():]
	mh := gomail.Header{Header: message.Header{Header: h}}
	m.readHeader(&mh)
	return m, h, body
}

func (m *Message) readHeader(h *gomail.Header) {
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
	} else if v := strings.TrimSpace(h.Get("Message-Id")); v != "" {
		// A Message-ID that is not RFC 5322 syntax is still an identity.
		m.MessageID = strings.Trim(v, "<> \t")
	}
	if s, err := h.Subject(); err == nil {
		m.Subject = clean(s)
	} else {
		m.Subject = clean(h.Get("Subject"))
		m.Problems = append(m.Problems, "objet: "+err.Error())
	}
	if as, err := h.AddressList("From"); err == nil && len(as) > 0 && validAddress(strings.ToLower(as[0].Address)) {
		m.FromName, m.FromAddr = clean(as[0].Name), strings.ToLower(as[0].Address)
	} else if a, err := mail.ParseAddress(h.Get("From")); err == nil && validAddress(strings.ToLower(a.Address)) {
		m.FromName, m.FromAddr = clean(a.Name), strings.ToLower(a.Address)
	} else {
		m.FromName, m.FromAddr = looseFrom(h.Get("From"))
	}
	for _, k := range []string{"To", "Cc"} {
		var out []string
		if as, err := h.AddressList(k); err == nil {
			for _, a := range as {
				out = append(out, strings.ToLower(a.Address))
			}
		}
		if k == "To" {
			m.To = out
		} else {
			m.Cc = out
		}
	}
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	m.InReplyTo = msgIDs(h, "In-Reply-To")
	m.References = msgIDs(h, "References")
	if h.Has("Return-Path") {
		m.HasReturnPath = true
		m.ReturnPath = strings.Trim(strings.TrimSpace(h.Get("Return-Path")), "<>")
	}
}

func msgIDs(h *gomail.Header, key string) []string {
	if ids, err := h.MsgIDList(key); err == nil && len(ids) > 0 {
		return ids
	}
	var out []string
	for _, f := range strings.Fields(h.Get(key)) {
		if f = strings.Trim(f, "<>,"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

var (
	bareAddr    = regexp.MustCompile(`[^\s<>"]+@[^\s<>"]+`)
	angleAddr   = regexp.MustCompile(`<([^<>\s"]+@[^<>\s"]+)>`)
	encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)
)

// looseFrom digs the sender out of a From line that does not parse, often
// a display name whose encoded words decode to line breaks. The address is
// the last one in angle brackets, or the one left once encoded words are
// taken out, never one written inside an encoded word (the display name
// is the sender's free text); "" unless it is a plain address.
func looseFrom(s string) (name, addr string) {
	rest := encodedWord.ReplaceAllString(s, " ")
	if ms := angleAddr.FindAllStringSubmatch(rest, -1); ms != nil {
		addr = ms[len(ms)-1][1]
		if i := strings.LastIndex(s, "<"); i > 0 {
			if d, err := new(mime.WordDecoder).DecodeHeader(s[:i]); err == nil {
				name = clean(strings.Trim(strings.TrimSpace(d), `"`))
			}
		}
	} else {
		addr = strings.Trim(bareAddr.FindString(rest), ".,;")
	}
	addr = strings.ToLower(addr)
	if !validAddress(addr) {
		return name, ""
	}
	return name, addr
}

// clean makes header text safe to store: valid UTF-8, no control characters.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

type walker struct {
	m      *Message
	lim    ParseLimits
	nparts int
	// entities counts the MIME entities read; past lim.MaxParts the rest
	// of the message is left to the .eml.
	entities int
	full     bool
}

func (w *walker) problem(format string, args ...any) {
	w.m.Problems = append(w.m.Problems, fmt.Sprintf(format, args...))
}

// entity reads one MIME entity: its header h and its raw (still
// transfer-encoded) body.
func (w *walker) entity(h textproto.Header, body []byte, depth int) {
	if w.entities++; w.entities > w.lim.MaxParts {
		if !w.full {
			w.full = true
			w.problem("plus de %d parties MIME: les suivantes restent dans le message d'origine (.eml) sans devenir des documents", w.lim.MaxParts)
		}
		return
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		if ct != "" {
			w.problem("Content-Type illisible %q: lu comme du texte", ct)
		}
		mt, params = "text/plain", map[string]string{"charset": "us-ascii"}
	}
	mt = strings.ToLower(mt)
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	attachment := strings.EqualFold(disp, "attachment")
	name := partName(params, dparams)
	switch {
	case strings.HasPrefix(mt, "multipart/") && depth < w.lim.MaxDepth:
		if mt == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") && w.m.Report == nil {
			w.m.Report = &Report{}
		}
		w.multipart(body, params["boundary"], mt, depth)
	case mt == "message/rfc822" && depth < w.lim.MaxDepth:
		data, _ := w.decode(h, body)
		// Its header only: the forwarded message is one document (.eml),
		// and its own parts must not multiply the work.
		inner, _, _ := parseHeader(data)
		if w.m.Report != nil && inner.MessageID != "" {
			w.m.Report.Original = append(w.m.Report.Original, inner.MessageID)
		}
		if name == "" {
			name = fileName(inner.Subject, "message-transfere") + ".eml"
		}
		w.attach(name, "message/rfc822", data, false)
	case mt == "text/rfc822-headers" && w.m.Report != nil:
		data, _ := w.decode(h, body)
		ih, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(data, '\r', '\n'))))
		if id := strings.Trim(strings.TrimSpace(ih.Get("Message-Id")), "<>"); id != "" {
			w.m.Report.Original = append(w.m.Report.Original, id)
		}
		w.attach(nameOr(name, "en-tetes-originaux.txt"), "text/plain", data, false)
	case mt == "message/delivery-status":
		data, _ := w.decode(h, body)
		if w.m.Report == nil {
			w.m.Report = &Report{}
		}
		readDeliveryStatus(w.m.Report, data)
		w.attach(nameOr(name, "rapport-de-remise.txt"), "text/plain", data, false)
	case (mt == "text/plain" || mt == "text/html") && !attachment && name == "":
		w.text(h, body, mt, params["charset"])
	default:
		w.part(h, body, mt, name, disp)
	}
}

// text reads a body part, plain or HTML. The first HTML part is the
// body's HTML, a later one an inline document; plain parts add up.
func (w *walker) text(h textproto.Header, body []byte, mt, charset string) {
	data, ok := w.decode(h, body)
	text := w.charset(charset, data, ok)
	if mt == "text/html" {
		if w.m.HTML == "" {
			w.m.HTML = text
		} else {
			w.attach(fmt.Sprintf("partie-%d.html", w.nparts+1), "text/html", data, true)
		}
		return
	}
	if w.m.Text == "" {
		w.m.Text = text
	} else {
		// A second text part (a signature block, a forwarded text)
		// belongs to the body too.
		w.m.Text += "\n\n" + text
	}
}

// part reads any other part as a document: an attachment, an inline image,
// or a winmail.dat whose files are unpacked.
func (w *walker) part(h textproto.Header, body []byte, mt, name, disp string) {
	data, ok := w.decode(h, body)
	if !ok {
		name = nameOr(name, fmt.Sprintf("partie-%d", w.nparts+1)) + ".raw"
		mt = "application/octet-stream"
	}
	if ok && isTNEF(name, mt, data) && w.unpackTNEF(data) {
		return
	}
	if name == "" {
		name = fmt.Sprintf("partie-%d%s", w.nparts+1, extension(mt))
	}
	inline := strings.EqualFold(disp, "inline") || (disp == "" && h.Get("Content-Id") != "")
	w.attach(name, mt, data, inline)
}

func (w *walker) multipart(body []byte, boundary, mt string, depth int) {
	if boundary == "" {
		w.problem("%s sans boundary: gardé tel quel", mt)
		w.attach(fmt.Sprintf("partie-%d.txt", w.nparts+1), "text/plain", body, false)
		return
	}
	mr := textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	alternative := mt == "multipart/alternative"
	for !w.full {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			w.problem("multipart: %v", err)
			return
		}
		data, err := io.ReadAll(p)
		if err != nil {
			// A part cut short (no closing boundary) keeps what was read.
			w.problem("partie tronquée: %v", err)
		}
		if alternative && w.m.Text != "" && strings.HasPrefix(strings.ToLower(p.Header.Get("Content-Type")), "text/plain") {
			continue
		}
		w.entity(p.Header, data, depth+1)
	}
}

// unpackTNEF attaches the files of a winmail.dat instead of it; false
// (nothing could be taken out) keeps winmail.dat as an attachment.
func (w *walker) unpackTNEF(data []byte) bool {
	files, body, err := tnefFiles(data)
	if err != nil {
		w.problem("winmail.dat: %v", err)
	}
	if len(files) == 0 {
		return false
	}
	for i, f := range files {
		ext := safeExt(path.Ext(f.Name))
		name := fileName(strings.TrimSuffix(f.Name, path.Ext(f.Name)), fmt.Sprintf("piece-jointe-%d", i+1)) + ext
		mt := f.MIME
		if mt == "" {
			if mt = mime.TypeByExtension(ext); mt == "" {
				mt = "application/octet-stream"
			}
		}
		if i, _, err := mime.ParseMediaType(mt); err == nil {
			mt = i
		} else {
			mt = "application/octet-stream"
		}
		w.attach(name, mt, f.Data, false)
	}
	if w.m.Text == "" && strings.TrimSpace(body) != "" {
		w.m.Text = body
	}
	return true
}

// safeExt keeps an extension only if it is a plain one (".pdf", ".docx").
func safeExt(ext string) string {
	ext = strings.ToLower(ext)
	if len(ext) < 2 || len(ext) > 10 {
		return ""
	}
	for _, r := range ext[1:] {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return ""
		}
	}
	return ext
}

func (w *walker) attach(name, mt string, data []byte, inline bool) {
	w.nparts++
	w.m.Parts = append(w.m.Parts, Part{Name: name, MIME: mt, Data: data, Inline: inline})
}

func readDeliveryStatus(r *Report, data []byte) {
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "status":
			if r.Status == "" {
				r.Status = v
			}
		case "diagnostic-code":
			if r.Diagnostic == "" {
				r.Diagnostic = v
			}
		case "final-recipient", "original-recipient":
			if r.Recipient == "" {
				_, a, _ := strings.Cut(v, ";")
				r.Recipient = strings.ToLower(strings.TrimSpace(a))
			}
		}
	}
}

var (
	dropBlocks = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>`)
	comments   = regexp.MustCompile(`(?s)<!--.*?-->`)
	breaks     = regexp.MustCompile(`(?i)<(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/table)\b[^>]*>`)
	tags       = regexp.MustCompile(`(?s)<[^>]*>`)
	blankRuns  = regexp.MustCompile(`\n{3,}`)
)

// HTMLToText turns an HTML body into plain text for the letter and the
// search index: scripts and styles dropped, block ends as line breaks,
// entities decoded. Its output is text, never markup, so it is safe to show.
func HTMLToText(s string) string {
	s = comments.ReplaceAllString(s, "")
	s = dropBlocks.ReplaceAllString(s, "")
	s = breaks.ReplaceAllString(s, "\n")
	s = tags.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// Key is the message's identity for exactly-once intake: its Message-ID, or
// a hash of what every copy of it shares (transport headers such as
// Received or Return-Path differ between an SMTP and an IMAP copy).
func Key(m *Message, raw []byte) string {
	if id := strings.TrimSpace(m.MessageID); id != "" {
		if len(id) <= 200 {
			return "mid:" + id
		}
		sum := sha256.Sum256([]byte(id))
		return "midh:" + hex.EncodeToString(sum[:])
	}
	body := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		body = raw[i+4:]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		body = raw[i+2:]
	}
	hs := sha256.New()
	for _, k := range []string{"From", "To", "Date", "Subject"} {
		fmt.Fprintf(hs, "%s:%s\n", k, strings.Join(strings.Fields(m.Header.Get(k)), " "))
	}
	hs.Write(bytes.ReplaceAll(bytes.TrimRight(body, "\r\n"), []byte("\r\n"), []byte("\n")))
	return "sha256:" + hex.EncodeToString(hs.Sum(nil))
}

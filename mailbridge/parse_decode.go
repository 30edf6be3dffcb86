package mailbridge

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// decode undoes the Content-Transfer-Encoding; ok is false when the body
// could not be decoded, and the raw bytes are returned instead.
func (w *walker) decode(h textproto.Header, body []byte) ([]byte, bool) {
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); enc {
	case "base64":
		// Decoded as it is read, into a buffer of the decoded size: one
		// copy of the part, not three.
		out := bytes.NewBuffer(make([]byte, 0, base64.StdEncoding.DecodedLen(len(body))))
		if _, err := io.Copy(out, base64.NewDecoder(base64.StdEncoding, &spaceless{r: bytes.NewReader(body)})); err == nil {
			return out.Bytes(), true
		}
		// Some senders drop the padding.
		raw := bytes.TrimRight(bytes.Map(dropSpace, body), "=")
		out2 := make([]byte, base64.RawStdEncoding.DecodedLen(len(raw)))
		n2, err := base64.RawStdEncoding.Decode(out2, raw)
		if err != nil {
			w.problem("base64 invalide (%v): partie gardée brute", err)
			return body, false
		}
		return out2[:n2], true
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			w.problem("quoted-printable invalide (%v): partie gardée brute", err)
			return body, false
		}
		return out, true
	case "", "7bit", "8bit", "binary":
		return body, true
	default:
		w.problem("encodage %q inconnu: partie gardée brute", enc)
		return body, false
	}
}

func dropSpace(r rune) rune {
	if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
		return -1
	}
	return r
}

// spaceless reads r without the blanks base64 bodies are folded with.
type spaceless struct{ r io.Reader }

func (s *spaceless) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// charset turns a text part into UTF-8.
func (w *walker) charset(cs string, data []byte, decoded bool) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if decoded && cs != "" && cs != "utf-8" && cs != "us-ascii" && cs != "ascii" {
		if r, err := message.CharsetReader(cs, bytes.NewReader(data)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return strings.ToValidUTF8(string(out), "\uFFFD")
			}
		} else {
			w.problem("jeu de caractères %q inconnu", cs)
		}
	}
	if !utf8.Valid(data) {
		// Undeclared 8-bit text in France is nearly always Latin-1 or
		// Windows-1252.
		if r, err := message.CharsetReader("windows-1252", bytes.NewReader(data)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out)
			}
		}
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

func partName(params, dparams map[string]string) string {
	for _, n := range []string{dparams["filename"], params["name"]} {
		if n = strings.TrimSpace(n); n != "" {
			if d, err := new(mime.WordDecoder).DecodeHeader(n); err == nil {
				n = d
			}
			return clean(path.Base(strings.ReplaceAll(n, "\\", "/")))
		}
	}
	return ""
}

func nameOr(name, def string) string {
	if name != "" {
		return name
	}
	return def
}

func extension(mt string) string {
	switch mt {
	case "application/pdf":
		return ".pdf"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return ".dat"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

var unsafeName = regexp.MustCompile(`[^\p{L}\p{N} _.-]+`)

func fileName(s, def string) string {
	s = strings.TrimSpace(unsafeName.ReplaceAllString(s, "_"))
	if s == "" || s == "_" {
		return def
	}
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80])
	}
	return s
}

package mailbridge

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// The winmail.dat fixture is made by tnefEncode below, as Outlook lays it
// out ([MS-OXTNEF] §2.1.3): go test -run TestTNEFFixture -tnef.write
// writes testdata/winmail-outlook.eml again.
var writeTNEF = flag.Bool("tnef.write", false, "rewrite testdata/winmail-outlook.eml")

const tnefFixture = "testdata/winmail-outlook.eml"

type tnefAttr struct {
	level byte
	id    uint32
	data  []byte
}

func tnefEncode(attrs []tnefAttr) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(tnefSignature))
	binary.Write(&b, binary.LittleEndian, uint16(0x1234))
	for _, a := range attrs {
		b.WriteByte(a.level)
		binary.Write(&b, binary.LittleEndian, a.id)
		binary.Write(&b, binary.LittleEndian, uint32(len(a.data)))
		b.Write(a.data)
		var sum uint16
		for _, c := range a.data {
			sum += uint16(c)
		}
		binary.Write(&b, binary.LittleEndian, sum)
	}
	return b.Bytes()
}

func cp1252(t testing.TB, s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return append(b, 0)
}

// mapiUnicodeProps encodes an attachment's properties: a PT_LONG (to be
// skipped), a named property (to be skipped), then PR_ATTACH_LONG_FILENAME
// and PR_ATTACH_MIME_TAG in UTF-16.
func mapiUnicodeProps(long, mimeTag string) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	str := func(s string) {
		u := append(utf16.Encode([]rune(s)), 0)
		w(uint32(1))
		w(uint32(len(u) * 2))
		for _, c := range u {
			w(c)
		}
		for i := len(u) * 2; i%4 != 0; i++ {
			b.WriteByte(0)
		}
	}
	w(uint32(4))
	w(uint16(0x0003)) // PT_LONG PR_ATTACH_METHOD
	w(uint16(0x3705))
	w(uint32(1))
	w(uint16(0x001f)) // a named PT_UNICODE property
	w(uint16(0x8001))
	b.Write(make([]byte, 16))
	w(uint32(1)) // named by string
	name := append(utf16.Encode([]rune("X")), 0)
	w(uint32(len(name) * 2))
	for _, c := range name {
		w(c)
	}
	// "X" and its NUL are 4 bytes: no padding.
	str("ignoré")
	w(uint16(0x001f))
	w(uint16(prAttachLongFilename))
	str(long)
	w(uint16(0x001f))
	w(uint16(prAttachMimeTag))
	str(mimeTag)
	return b.Bytes()
}

// winmailDat is an Outlook "rich text" message's winmail.dat: a body and
// two attachments, one with its long name in MAPI properties, one with
// only an 8.3-style title in Windows-1252.
func winmailDat(t testing.TB) []byte {
	return tnefEncode([]tnefAttr{
		{1, 0x00089006, []byte{1, 0, 0, 0}}, // attMessageClass-like noise
		{1, attBody, cp1252(t, "Bonjour, veuillez trouver le plan et le devis d'élagage.")},
		{2, attAttachRendData, make([]byte, 14)},
		{2, attAttachTitle, cp1252(t, "PLANCA~1.PDF")},
		{2, attAttachData, []byte("%PDF-1.4\n% plan cadastral\n")},
		{2, attAttachment, mapiUnicodeProps("Plan cadastral - parcelle 12.pdf", "application/pdf")},
		{2, attAttachRendData, make([]byte, 14)},
		{2, attAttachTitle, cp1252(t, "Devis élagage.txt")},
		{2, attAttachData, []byte("Devis : 450 €\n")},
	})
}

func winmailEML(t testing.TB) []byte {
	enc := base64.StdEncoding.EncodeToString(winmailDat(t))
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return []byte("From: =?iso-8859-1?q?Ren=E9_Outlook?= <rene@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: Plan et devis\r\n" +
		"Message-ID: <tnef1@exemple.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n" +
		"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n" +
		strings.Join(lines, "\r\n") + "\r\n--b1--\r\n")
}

func TestTNEFFixture(t *testing.T) {
	if *writeTNEF {
		if err := os.WriteFile(tnefFixture, winmailEML(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(tnefFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, winmailEML(t)) {
		t.Fatalf("%s is not what tnefEncode makes: run go test -run TestTNEFFixture -tnef.write", tnefFixture)
	}
}

// TestParseUnpacksWinmailDat: the files inside winmail.dat become the
// letter's attachments, with their long names and types; its body becomes
// the text of a message that had none.
func TestParseUnpacksWinmailDat(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(tnefFixture)
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(raw)
	if len(m.Parts) != 2 {
		t.Fatalf("parts %+v, problems %v", m.Parts, m.Problems)
	}
	if p := m.Parts[0]; p.Name != "Plan cadastral - parcelle 12.pdf" || p.MIME != "application/pdf" || !bytes.HasPrefix(p.Data, []byte("%PDF")) {
		t.Errorf("first part %q %q %q", p.Name, p.MIME, p.Data)
	}
	if p := m.Parts[1]; p.Name != "Devis élagage.txt" || !strings.HasPrefix(p.MIME, "text/plain") || string(p.Data) != "Devis : 450 €\n" {
		t.Errorf("second part %q %q %q", p.Name, p.MIME, p.Data)
	}
	if !strings.Contains(m.Text, "devis d'élagage") {
		t.Errorf("text %q", m.Text)
	}

	// Cut short, it keeps the first file; unreadable, winmail.dat stays.
	dat := winmailDat(t)
	files, _, err := tnefFiles(dat[:len(dat)-20])
	if err == nil || len(files) != 1 {
		t.Errorf("truncated: %d files, %v", len(files), err)
	}
	bad := bytes.Replace(raw, []byte("Content-Transfer-Encoding: base64\r\nContent-Disposition"), []byte("Content-Transfer-Encoding: 7bit\r\nContent-Disposition"), 1)
	if m := Parse(bad); len(m.Parts) != 1 || m.Parts[0].Name != "winmail.dat" {
		t.Errorf("unreadable winmail.dat: %+v", m.Parts)
	}
}

// TestWinmailDatBySMTP: sent with swaks, the Outlook message is one
// letter whose documents are the files inside winmail.dat.
func TestWinmailDatBySMTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	raw, err := os.ReadFile(tnefFixture)
	if err != nil {
		t.Fatal(err)
	}
	h.mustSend("rene@exemple.test", raw)
	l := h.letterBySubject("Plan et devis")
	if l == nil {
		t.Fatal("no letter")
	}
	lv, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range lv.Documents {
		names = append(names, d.Name)
	}
	got := strings.Join(names, "|")
	for _, want := range []string{"Plan cadastral - parcelle 12.pdf", "Devis élagage.txt", ".eml"} {
		if !strings.Contains(got, want) {
			t.Errorf("documents %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "winmail.dat") {
		t.Errorf("winmail.dat kept: %q", got)
	}
}

func FuzzTNEF(f *testing.F) {
	f.Add(winmailDat(f))
	f.Add(mapiUnicodeProps("a.pdf", "application/pdf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tnefFiles(data)
		mapiProps(data)
	})
}

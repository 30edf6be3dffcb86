package mailbridge

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// documentsOf returns the letter's documents by name, with the SHA-256 each is
// recorded under, and the bytes of the blob of that name.
func (h *harness) documentsOf(letterID string) map[string]struct {
	sum  string
	data []byte
} {
	h.t.Helper()
	lv, err := h.svc.View(h.ctx, h.env.Admin, letterID)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]struct {
		sum  string
		data []byte
	}{}
	for _, d := range lv.Documents {
		sum := d.Versions[len(d.Versions)-1].SHA256
		f, err := h.env.Blobs.Open(sum)
		if err != nil {
			h.t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		out[d.Name] = struct {
			sum  string
			data []byte
		}{sum, b}
	}
	return out
}

// TestSMTPStoredMessageIsWhatWasSent: the .eml of a letter is our
// Received line followed by the message byte for byte as the client sent
// it (dots unstuffed, 8-bit text, CRLF), and the SHA-256 it is recorded
// under, computed while the message was spooled, is the hash of those
// bytes. The spool keeps nothing once the message is in.
func TestSMTPStoredMessageIsWhatWasSent(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.SpoolDir = t.TempDir()
	h := newHarness(t, "", opt)
	sent := citizenMail("octets@exemple.test", "lea@exemple.test", "Octet pour octet",
		"Première ligne, accentuée.\r\n.Une ligne qui commence par un point\r\n..deux points\r\n\r\nFin.")
	// go-smtp's client, not swaks: swaks adds a line break of its own
	// before the final dot.
	if err := sendRaw(h.smtp.Addr().String(), sent); err != nil {
		t.Fatal(err)
	}
	l := h.letterBySubject("Octet pour octet")
	if l == nil {
		t.Fatal("no letter")
	}
	docs := h.documentsOf(l.ID)
	eml, ok := docs["Octet pour octet.eml"]
	if !ok {
		t.Fatalf("no .eml among %d documents", len(docs))
	}
	if !bytes.HasPrefix(eml.data, []byte("Received: from ")) || !bytes.HasSuffix(eml.data, sent) {
		t.Fatalf(".eml is not our Received line then the message as sent:\n%q", eml.data)
	}
	trace := eml.data[:len(eml.data)-len(sent)]
	if n := bytes.Count(trace, []byte("\r\n")); n != 3 || !bytes.HasSuffix(trace, []byte("\r\n")) {
		t.Fatalf("more than the Received line before the message: %q", trace)
	}
	got := sha256.Sum256(eml.data)
	if hex.EncodeToString(got[:]) != eml.sum {
		t.Fatalf(".eml recorded under %s, its bytes hash to %x", eml.sum, got)
	}
	if err := h.env.Blobs.Verify(eml.sum); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(opt.SpoolDir); len(left) != 0 {
		t.Fatalf("spool not emptied: %v", left)
	}
}

// TestSMTPCutMessageLeavesNothing: a client that drops the connection in
// the middle of DATA leaves no file in the spool nor in the blob store,
// and no letter.
func TestSMTPCutMessageLeavesNothing(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.SpoolDir = t.TempDir()
	h := newHarness(t, "", opt)
	c, err := net.Dial("tcp", h.smtp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	say := func(cmd, want string) {
		t.Helper()
		if cmd != "" {
			fmt.Fprintf(c, "%s\r\n", cmd)
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			if !strings.HasPrefix(line, want) {
				t.Fatalf("%s: %q, want %s", cmd, line, want)
			}
			if len(line) < 4 || line[3] != '-' {
				return
			}
		}
	}
	say("", "220")
	say("EHLO client.exemple.test", "250")
	say("MAIL FROM:<coupe@exemple.test>", "250")
	say("RCPT TO:<mairie@ville.test>", "250")
	say("DATA", "354")
	fmt.Fprintf(c, "From: coupe@exemple.test\r\nTo: mairie@ville.test\r\nSubject: Coupé\r\nMessage-ID: <coupe@exemple.test>\r\n\r\n")
	line := strings.Repeat("x", 998) + "\r\n"
	for range 200 {
		io.WriteString(c, line)
	}
	// The message is being spooled when the client goes.
	waitFor(t, "the message in the spool", 10*time.Second, func() bool {
		left, _ := os.ReadDir(opt.SpoolDir)
		return len(left) == 1
	})
	c.Close()
	waitFor(t, "the session closed", 10*time.Second, func() bool {
		h.b.conns.mu.Lock()
		defer h.b.conns.mu.Unlock()
		return h.b.conns.open == 0
	})
	if left, _ := os.ReadDir(opt.SpoolDir); len(left) != 0 {
		t.Errorf("a cut message left %v in the spool", left)
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(h.env.Dir, "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 0 {
		t.Errorf("a cut message left %d files in the blob store", blobs)
	}
	if n := len(h.letters()); n != 0 {
		t.Errorf("%d letters from a cut message", n)
	}
}

// TestSMTPLargeMessageNotCopiedInMemory: a 24 MB message, far over the
// intake's memory budget (1 MB), is taken in without the process
// allocating anything near its size: it is spooled to a file, parsed
// where it lies, its attachment (sent unencoded) stored from there, and
// the spool file becomes the .eml. Not parallel: it counts every
// allocation of the process while the message goes in.
func TestSMTPLargeMessageNotCopiedInMemory(t *testing.T) {
	opt := fastOptions()
	opt.IntakeMemory = 1 << 20
	opt.SpoolDir = t.TempDir()
	h := newHarness(t, "", opt)
	var b bytes.Buffer
	b.WriteString("From: Archives <archives@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: Registre numérisé\r\n" +
		"Message-ID: <registre@exemple.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/csv; name=\"registre.csv\"\r\n" +
		"Content-Disposition: attachment; filename=\"registre.csv\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	row := strings.Repeat("1789;Paroisse Saint-Martin;baptême;", 28) + "\r\n"
	for b.Len() < 24<<20 {
		b.WriteString(row)
	}
	sent := b.Bytes()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := sendRaw(h.smtp.Addr().String(), sent); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(sent))/4 {
		t.Errorf("%d MB allocated to take in a message of %d MB", alloc>>20, len(sent)>>20)
	}
	l := h.letterBySubject("Registre numérisé")
	if l == nil {
		t.Fatal("no letter")
	}
	docs := h.documentsOf(l.ID)
	if csv := docs["registre.csv"]; !bytes.HasSuffix(sent, csv.data) || len(csv.data) < 23<<20 {
		t.Errorf("attachment of %d bytes, want the %d bytes sent", len(csv.data), len(sent))
	}
	if eml := docs["Registre numérisé.eml"]; !bytes.HasSuffix(eml.data, sent) {
		t.Errorf(".eml of %d bytes does not end with the %d bytes sent", len(eml.data), len(sent))
	}
}

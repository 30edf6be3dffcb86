package mailbridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// TNEF (Transport Neutral Encapsulation Format, [MS-OXTNEF]) is how
// Outlook and Exchange, set to "rich text", wrap a message's attachments
// into one winmail.dat part that no other mail client opens. A citizen
// writing from Outlook then sends the town a winmail.dat instead of their
// documents. tnefFiles takes the attached files out; what it cannot read is
// left to the caller, which keeps winmail.dat as it is (the original .eml
// is kept as evidence anyway).
//
// A TNEF stream is a signature and a key, then attributes: a level
// (message or attachment), an id whose high 16 bits are a type, a length,
// the data and a 16-bit checksum. An attachment starts with attAttachRendData;
// its name is in attAttachTitle (often 8.3) or, in full, in the
// PR_ATTACH_LONG_FILENAME property of attAttachment; its bytes in
// attAttachData.

const (
	tnefSignature = 0x223e9f78

	attBody           = 0x0002800c
	attAttachData     = 0x0006800f
	attAttachTitle    = 0x00018010
	attAttachRendData = 0x00069002
	attAttachment     = 0x00069005

	prAttachLongFilename = 0x3707
	prAttachMimeTag      = 0x370e
	prDisplayName        = 0x3001

	// maxTNEFParts bounds the files taken out of one winmail.dat.
	maxTNEFParts = 200
)

// tnefFile is one file taken out of a winmail.dat.
type tnefFile struct {
	Name, MIME string
	Data       []byte
}

// isTNEF says whether a part is a winmail.dat.
func isTNEF(name, mt string, data []byte) bool {
	if mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || strings.EqualFold(name, "winmail.dat") {
		return len(data) >= 6 && binary.LittleEndian.Uint32(data) == tnefSignature
	}
	return false
}

var errTNEF = errors.New("winmail.dat illisible")

// tnefFiles decodes a TNEF stream: the attached files, and the message's
// plain-text body when it carries one. A stream cut short keeps the files
// read before the cut, with an error.
func tnefFiles(data []byte) (files []tnefFile, body string, err error) {
	if len(data) < 6 || binary.LittleEndian.Uint32(data) != tnefSignature {
		return nil, "", fmt.Errorf("%w: signature absente", errTNEF)
	}
	p := data[6:]
	var cur *tnefFile
	flush := func() {
		if cur != nil && cur.Data != nil && len(files) < maxTNEFParts {
			files = append(files, *cur)
		}
		cur = nil
	}
	for len(p) > 0 {
		if len(p) < 9 {
			flush()
			return files, body, fmt.Errorf("%w: attribut tronqué", errTNEF)
		}
		level, id, n := p[0], binary.LittleEndian.Uint32(p[1:5]), binary.LittleEndian.Uint32(p[5:9])
		if uint64(n)+11 > uint64(len(p)) {
			flush()
			return files, body, fmt.Errorf("%w: attribut de %d octets au-delà de la fin", errTNEF, n)
		}
		v := p[9 : 9+n]
		p = p[9+n+2:] // the checksum is not checked: a wrong one spoils nothing we keep
		switch {
		case level == 2 && id == attAttachRendData:
			flush()
			cur = &tnefFile{}
		case level == 2 && id == attAttachTitle && cur != nil:
			if cur.Name == "" {
				cur.Name = cp1252String(v)
			}
		case level == 2 && id == attAttachData && cur != nil:
			cur.Data = v
		case level == 2 && id == attAttachment && cur != nil:
			props := mapiProps(v)
			if s := props[prAttachLongFilename]; s != "" {
				cur.Name = s
			} else if s := props[prDisplayName]; s != "" && cur.Name == "" {
				cur.Name = s
			}
			if s := props[prAttachMimeTag]; s != "" {
				cur.MIME = s
			}
		case level == 1 && id == attBody:
			body = cp1252String(v)
		}
	}
	flush()
	return files, body, nil
}

// cp1252String reads a NUL-terminated string in Windows-1252, the code page
// of Outlook in France.
func cp1252String(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// mapiProps reads the string properties of a MAPI property list (the
// names and types of an attachment); it stops quietly at anything it does
// not understand, keeping what it read.
func mapiProps(b []byte) map[uint16]string {
	out := map[uint16]string{}
	r := &mapiReader{b: b, ok: true}
	count := r.u32()
	for i := uint32(0); i < count && r.ok && i < 1000; i++ {
		typ, id := r.u16(), r.u16()
		if id >= 0x8000 { // a named property: GUID, kind, then an id or a name
			r.skip(16)
			if r.u32() == 0 {
				r.skip(4)
			} else {
				r.skip(pad4(int(r.u32())))
			}
		}
		mv := typ&0x1000 != 0
		typ &^= 0x1000
		values := uint32(1)
		if mv || typ == 0x001e || typ == 0x001f || typ == 0x0102 || typ == 0x000d {
			values = r.u32()
		}
		for j := uint32(0); j < values && r.ok && j < 1000; j++ {
			switch typ {
			case 0x0002, 0x0003, 0x0004, 0x000a, 0x000b:
				r.skip(4)
			case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040:
				r.skip(8)
			case 0x0048:
				r.skip(16)
			case 0x001e, 0x001f, 0x0102, 0x000d:
				n := int(r.u32())
				v := r.take(n)
				r.skip(pad4(n) - n)
				if !r.ok {
					return out
				}
				switch typ {
				case 0x001e:
					out[id] = cp1252String(v)
				case 0x001f:
					out[id] = utf16String(v)
				}
			default:
				return out // an unknown type: its size is unknown too
			}
		}
	}
	return out
}

func pad4(n int) int { return (n + 3) &^ 3 }

func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// mapiReader reads little-endian values; ok turns false, for good, at
// the first read past the end.
type mapiReader struct {
	b   []byte
	off int
	ok  bool
}

func (r *mapiReader) take(n int) []byte {
	if n < 0 || r.off+n > len(r.b) {
		r.ok = false
		r.off = len(r.b)
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *mapiReader) skip(n int) { r.take(n) }

func (r *mapiReader) u32() uint32 {
	v := r.take(4)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

func (r *mapiReader) u16() uint16 {
	v := r.take(2)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(v)
}

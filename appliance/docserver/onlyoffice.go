// Package docserver owns what Missive says to an OnlyOffice Document Server
// and how it checks what the server says back: HS256 JSON Web Tokens (the
// server's documented signature), the editor configuration's types, the
// document types and keys, and the short-lived grants Missive puts in the
// download and callback URLs it gives the server. It does no I/O; the
// Service builds configurations with it (appliance/replies/onlyoffice.go) and the
// HTTP endpoints live in package webdav/onlyoffice.
package docserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// ErrToken is any token that does not verify: malformed, another algorithm,
// a wrong signature, expired, or for another purpose.
var ErrToken = errors.New("jeton OnlyOffice invalide")

// Strict: one token has one spelling, so a signature cannot be respelt.
var b64 = base64.RawURLEncoding.Strict()

// jwtHeader is the only header Missive signs with and accepts: HS256, so
// that a token saying "none" or an RSA algorithm is refused before its
// signature is even looked at.
const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

// Sign makes an HS256 JWT of claims.
func Sign(secret string, claims any) (string, error) {
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign OnlyOffice token: %w", err)
	}
	in := b64.EncodeToString([]byte(jwtHeader)) + "." + b64.EncodeToString(body)
	return in + "." + b64.EncodeToString(mac(secret, in)), nil
}

func mac(secret, in string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return m.Sum(nil)
}

// Verify checks an HS256 JWT and returns its claims. An "exp" claim, when
// present, must be after now.
func Verify(secret, token string, now time.Time) (json.RawMessage, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: pas de secret", ErrToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 1<<20 {
		return nil, fmt.Errorf("%w: forme", ErrToken)
	}
	h, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: en-tête", ErrToken)
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(h, &hdr) != nil || hdr.Alg != "HS256" {
		return nil, fmt.Errorf("%w: algorithme %q", ErrToken, hdr.Alg)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac(secret, parts[0]+"."+parts[1])) {
		return nil, fmt.Errorf("%w: signature", ErrToken)
	}
	body, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: contenu", ErrToken)
	}
	var exp struct {
		Exp *float64 `json:"exp"`
	}
	if err := json.Unmarshal(body, &exp); err != nil {
		return nil, fmt.Errorf("%w: contenu", ErrToken)
	}
	if exp.Exp != nil && float64(now.Unix()) >= *exp.Exp {
		return nil, fmt.Errorf("%w: expiré", ErrToken)
	}
	return body, nil
}

// Grant is what Missive signs into the URLs it gives the Document Server:
// which document, of which tenant, for whom, for what, until when.
type Grant struct {
	Purpose  string `json:"p"` // download or callback
	Tenant   string `json:"t"`
	Document string `json:"d"`
	Version  int    `json:"v,omitempty"`
	User     string `json:"u,omitempty"`
	Exp      int64  `json:"exp"`
}

// Grant purposes.
const (
	Download = "download"
	Callback = "callback"
)

// CheckGrant verifies a grant token for purpose.
func CheckGrant(secret, token, purpose string, now time.Time) (*Grant, error) {
	body, err := Verify(secret, token, now)
	if err != nil {
		return nil, err
	}
	var g Grant
	if err := json.Unmarshal(body, &g); err != nil || g.Purpose != purpose || g.Exp == 0 {
		return nil, fmt.Errorf("%w: autorisation %q attendue", ErrToken, purpose)
	}
	return &g, nil
}

// Config is the editor configuration given to DocsAPI.DocEditor, as the
// Document Server's API documents it; Token signs the rest.
type Config struct {
	Document     Document     `json:"document"`
	DocumentType string       `json:"documentType"`
	EditorConfig EditorConfig `json:"editorConfig"`
	Token        string       `json:"token,omitempty"`
}

type Document struct {
	FileType    string      `json:"fileType"`
	Key         string      `json:"key"`
	Title       string      `json:"title"`
	URL         string      `json:"url"`
	Permissions Permissions `json:"permissions"`
}

type Permissions struct {
	Edit     bool `json:"edit"`
	Download bool `json:"download"`
	Print    bool `json:"print"`
}

type EditorConfig struct {
	CallbackURL string `json:"callbackUrl,omitempty"`
	Lang        string `json:"lang"`
	Mode        string `json:"mode"` // edit or view
	User        User   `json:"user"`
}

type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// SignConfig sets c.Token to the signature of the rest of c.
func SignConfig(secret string, c *Config) error {
	c.Token = ""
	tok, err := Sign(secret, c)
	if err != nil {
		return err
	}
	c.Token = tok
	return nil
}

var docTypes = map[string]string{
	"doc": "word", "docx": "word", "odt": "word", "rtf": "word", "txt": "word", "dotx": "word", "ott": "word", "docm": "word",
	"xls": "cell", "xlsx": "cell", "ods": "cell", "csv": "cell", "ots": "cell", "xlsm": "cell",
	"ppt": "slide", "pptx": "slide", "odp": "slide", "otp": "slide",
	"pdf": "pdf",
}

// editable are the formats the Document Server saves back.
var editable = map[string]bool{"docx": true, "odt": true, "xlsx": true, "ods": true, "pptx": true, "odp": true, "txt": true, "rtf": true, "csv": true}

// FileType is a file name's extension as the Document Server names it, its
// document type ("word", "cell", "slide", "pdf"; "" when it cannot open it)
// and whether it can save it back.
func FileType(name string) (ext, docType string, canEdit bool) {
	ext = strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	return ext, docTypes[ext], editable[ext]
}

// Key identifies one content of one document for the Document Server's
// cache: it must change whenever the content does, and use only the
// characters 0-9, a-z, A-Z, -, _, . and = (128 at most).
func Key(documentID, sha256Hex string) string {
	s := sha256.Sum256([]byte(documentID + "\x00" + sha256Hex))
	return hex.EncodeToString(s[:20])
}

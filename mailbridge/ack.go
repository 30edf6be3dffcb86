package mailbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// AckData is what an acknowledgement or notice template may use.
type AckData struct {
	Commune     string // the tenant's name
	Number      string // registration number
	Subject     string // typed by an agent (paper acknowledgement); never a sender's words in an e-mail
	SenderName  string
	ReceivedOn  string // date of receipt, JJ/MM/AAAA
	Service     string // the service in charge
	ServiceMail string // its address, when it has one
	Doctype     string
	DueDate     string // JJ/MM/AAAA, "" when the doctype sets no delay
	Mode        string // normal, sva or svr
	// Postal is true when the acknowledgement is printed and posted
	// rather than e-mailed: templates leave out "reply to this message".
	Postal bool
}

// defaultTemplates are used until a tenant words its own. The SVA and SVR
// ones carry the mentions of articles L112-11 and R112-5 of the code des
// relations entre le public et l'administration (CRPA): date of receipt,
// the service in charge and how to reach it, the date on which silence will
// mean acceptance or refusal, and for a refusal the ways and time limits of
// appeal.
var defaultTemplates = map[string][2]string{
	"normal": {
		`Accusé de réception de votre courrier n° {{.Number}}`,
		`Bonjour{{if .SenderName}} {{.SenderName}}{{end}},

{{.Commune}} a bien reçu le {{.ReceivedOn}} votre message{{if .Subject}} « {{.Subject}} »{{end}}.
Il est enregistré sous le numéro {{.Number}} et confié à : {{.Service}}{{if .ServiceMail}} ({{.ServiceMail}}){{end}}.
{{- if .DueDate}}
Une réponse vous sera apportée au plus tard le {{.DueDate}}.{{end}}

Rappelez ce numéro dans toute correspondance{{if not .Postal}} : répondez simplement à ce message{{end}}.

{{.Commune}}
{{if not .Postal}}Ce message est envoyé automatiquement.
{{end}}`},
	"sva": {
		`Accusé de réception de votre demande n° {{.Number}}`,
		`Bonjour{{if .SenderName}} {{.SenderName}}{{end}},

{{.Commune}} a bien reçu le {{.ReceivedOn}} votre demande{{if .Subject}} « {{.Subject}} »{{end}}.
Elle est enregistrée sous le numéro {{.Number}}.
Service chargé du dossier : {{.Service}}{{if .ServiceMail}}, adresse électronique {{.ServiceMail}}{{end}}.

Conformément aux articles L. 112-11 et R. 112-5 du code des relations entre le public et l'administration :
en l'absence de réponse de l'administration au {{if .DueDate}}{{.DueDate}}{{else}}terme du délai applicable{{end}}, votre demande sera réputée acceptée (décision implicite d'acceptation).
Vous pourrez alors obtenir, sur simple demande, une attestation de cette décision implicite (article L. 232-3 du même code).
Si votre demande est incomplète, le service vous indiquera les pièces et informations manquantes et le délai pour les produire ; le délai ci-dessus ne courra qu'à compter de leur réception.

Rappelez ce numéro dans toute correspondance{{if not .Postal}} : répondez simplement à ce message{{end}}.

{{.Commune}}
{{if not .Postal}}Ce message est envoyé automatiquement.
{{end}}`},
	"svr": {
		`Accusé de réception de votre demande n° {{.Number}}`,
		`Bonjour{{if .SenderName}} {{.SenderName}}{{end}},

{{.Commune}} a bien reçu le {{.ReceivedOn}} votre demande{{if .Subject}} « {{.Subject}} »{{end}}.
Elle est enregistrée sous le numéro {{.Number}}.
Service chargé du dossier : {{.Service}}{{if .ServiceMail}}, adresse électronique {{.ServiceMail}}{{end}}.

Conformément aux articles L. 112-11 et R. 112-5 du code des relations entre le public et l'administration :
en l'absence de réponse de l'administration au {{if .DueDate}}{{.DueDate}}{{else}}terme du délai applicable{{end}}, votre demande sera réputée rejetée (décision implicite de rejet).
Vous pourrez contester cette décision implicite par un recours gracieux auprès de {{.Commune}} ou par un recours contentieux devant le tribunal administratif compétent, dans un délai de deux mois à compter de la date à laquelle elle sera née.
Vous pourrez aussi demander, dans ce délai, la communication des motifs de cette décision (article L. 232-4 du même code).
Si votre demande est incomplète, le service vous indiquera les pièces et informations manquantes et le délai pour les produire ; le délai ci-dessus ne courra qu'à compter de leur réception.

Rappelez ce numéro dans toute correspondance{{if not .Postal}} : répondez simplement à ce message{{end}}.

{{.Commune}}
{{if not .Postal}}Ce message est envoyé automatiquement.
{{end}}`},
	"notice": {
		`Nouveau message sur le courrier n° {{.Number}}`,
		`Bonjour,

{{if .SenderName}}{{.SenderName}}{{else}}L'expéditeur{{end}} a répondu par e-mail au courrier n° {{.Number}} (« {{.Subject}} »).
Le message est joint au courrier dans Missive.
`},
}

// CheckTemplate reports a template that does not render.
func CheckTemplate(subject, body string) error {
	_, _, err := render(subject, body, AckData{Commune: "Commune", Number: "2026/A/000001", Subject: "Objet", ReceivedOn: "01/01/2026", Service: "Service", DueDate: "01/02/2026", Mode: "sva"})
	return err
}

func render(subject, body string, d AckData) (string, string, error) {
	var out [2]string
	for i, src := range []string{subject, body} {
		t, err := template.New("m").Option("missingkey=error").Parse(src)
		if err != nil {
			return "", "", err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return "", "", err
		}
		out[i] = b.String()
	}
	return strings.Join(strings.Fields(out[0]), " "), out[1], nil
}

// outgoing is a message Missive sends.
type outgoing struct {
	FromName, From string
	To             string
	Subject, Body  string
	MessageID      string
	InReplyTo      string
	Date           time.Time
	// Auto marks an automatic message (RFC 3834): "auto-replied" for an
	// acknowledgement, "auto-generated" for a notice.
	Auto string
}

// compose writes the message as RFC 5322 text with CRLF line ends.
func compose(o outgoing) (string, error) {
	var h gomail.Header
	h.SetDate(o.Date)
	h.SetAddressList("From", []*gomail.Address{{Name: o.FromName, Address: o.From}})
	h.SetAddressList("To", []*gomail.Address{{Address: o.To}})
	h.SetSubject(o.Subject)
	h.SetMessageID(o.MessageID)
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{o.InReplyTo})
		h.SetMsgIDList("References", []string{o.InReplyTo})
	}
	if o.Auto != "" {
		h.Set("Auto-Submitted", o.Auto)
		// Exchange and Outlook then send no out-of-office reply to it.
		h.Set("X-Auto-Response-Suppress", "All")
	}
	h.Set("MIME-Version", "1.0")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var b bytes.Buffer
	w, err := message.CreateWriter(&b, h.Header)
	if err != nil {
		return "", err
	}
	body := strings.ReplaceAll(strings.ReplaceAll(o.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := io.WriteString(w, body); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

func frenchDate(d string) string {
	t, err := time.Parse(domain.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}

func messageIDDomain(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "missive.invalid"
}

func newMessageID(kind, id, from string) string {
	return fmt.Sprintf("%s.%s@%s", kind, id, messageIDDomain(from))
}

// composeAnswer makes an agent's answer from its recipe and the documents'
// blobs. Everything comes from the outbox row, so every try sends the same
// message.
func (b *Bridge) composeAnswer(o *store.OutboxEntry) (string, error) {
	var rcp appliance.AnswerRecipe
	if err := json.Unmarshal([]byte(o.Content), &rcp); err != nil {
		return "", fmt.Errorf("answer %s: recipe: %w", o.MessageID, err)
	}
	date, err := time.Parse(domain.TimeLayout, rcp.Date)
	if err != nil {
		return "", fmt.Errorf("answer %s: date: %w", o.MessageID, err)
	}
	var h gomail.Header
	h.SetDate(date)
	h.SetAddressList("From", []*gomail.Address{{Name: rcp.FromName, Address: rcp.From}})
	h.SetAddressList("To", []*gomail.Address{{Address: rcp.To}})
	h.SetSubject(rcp.Subject)
	h.SetMessageID(o.MessageID)
	if rcp.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{rcp.InReplyTo})
		h.SetMsgIDList("References", []string{rcp.InReplyTo})
	}
	var buf bytes.Buffer
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		return "", err
	}
	var th gomail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreateSingleInline(th)
	if err != nil {
		return "", err
	}
	io.WriteString(w, strings.ReplaceAll(strings.ReplaceAll(rcp.Text, "\r\n", "\n"), "\n", "\r\n")+"\r\n")
	if err := w.Close(); err != nil {
		return "", err
	}
	for _, a := range rcp.Attachments {
		var ah gomail.AttachmentHeader
		ah.Set("Content-Type", a.MIME)
		ah.SetFilename(a.Name)
		ah.Set("Content-Transfer-Encoding", "base64")
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			return "", err
		}
		f, err := b.svc.Blobs.Open(a.SHA256)
		if err != nil {
			return "", fmt.Errorf("answer %s: document %s: %w", o.MessageID, a.Name, err)
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return "", err
		}
		if err := w.Close(); err != nil {
			return "", err
		}
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

package mailbridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/store"
)

// AckData is the dot of an acknowledgement or notice template: the names
// the first templates used ({{.Number}}, {{.Commune}}…), kept so that a
// tenant's own wording in that syntax still renders. The templates of
// today use the reply drafts' names ({{numero}}, {{commune}}…, see
// ackFuncs).
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

// ackFuncs makes each field of a reply draft (drafts.FieldList) a function
// of the template, {{numero}}, with its value for this letter; and papier,
// true when the acknowledgement is printed and posted. Unknown values are
// empty, so that a template checked once renders for every letter.
func ackFuncs(v drafts.Values, postal bool) template.FuncMap {
	fm := template.FuncMap{"papier": func() bool { return postal }}
	for _, f := range drafts.FieldList {
		val := v[f.Name]
		fm[f.Name] = func() string { return val }
	}
	return fm
}

// serviceBlock is how every default acknowledgement designates the service
// in charge and how to reach it (CRPA R112-5, 2°).
const serviceBlock = `Service chargé du dossier :
{{entite}}
{{- if service_adresse}}
{{service_adresse}}{{end}}
{{- if service_telephone}}
Téléphone : {{service_telephone}}{{end}}
{{- if service_courriel}}
Adresse électronique : {{service_courriel}}{{end}}`

const ackGreeting = `Madame, Monsieur,

`

const ackClosing = `

Rappelez le numéro {{numero}} dans toute correspondance{{if not papier}} ; vous pouvez aussi répondre simplement à ce message{{end}}.

{{commune}}
{{- if not papier}}
Ce message est envoyé automatiquement.{{end}}
`

// svrRemedies are the ways and time limits of appeal against an implicit
// refusal (CRPA R112-5: "les délais et les voies de recours").
const svrRemedies = `Vous pourrez contester cette décision implicite de rejet par un recours gracieux auprès de {{commune}} ou par un recours contentieux devant le tribunal administratif compétent, dans un délai de deux mois à compter de la date à laquelle elle sera née ; le tribunal administratif peut être saisi par l'application Télérecours citoyens (www.telerecours.fr). Vous pourrez aussi demander, dans ce délai, la communication des motifs de cette décision (article L. 232-4 du même code).`

// defaultTemplates are used until a tenant words its own. Every
// acknowledgement gives the mentions of article R. 112-5 of the code des
// relations entre le public et l'administration (CRPA; R. 112-11-1 for
// an electronic one): the date of receipt; the designation, postal
// address, e-mail and phone of the service in charge; for SVA and SVR
// requests, the date the implicit decision arises and, for a refusal, the
// ways and time limits of appeal, for an acceptance, the certificate of
// article L. 232-3. The incomplete one adds those of article L. 114-5: the
// pieces missing, the date they are due by, and what it does to the delay.
// None quotes what the sender wrote: the sender of an e-mail is not
// authenticated.
var defaultTemplates = map[string][2]string{
	"normal": {
		`Accusé de réception de votre courrier n° {{numero}}`,
		ackGreeting + `{{commune}} a bien reçu votre courrier le {{date_arrivee}}. Il est enregistré sous le numéro {{numero}}.

` + serviceBlock + `
{{- if date_limite}}

Une réponse vous sera apportée au plus tard le {{date_limite}}.{{end}}` + ackClosing},
	"sva": {
		`Accusé de réception de votre demande n° {{numero}}`,
		ackGreeting + `{{commune}} a bien reçu votre demande le {{date_arrivee}}. Elle est enregistrée sous le numéro {{numero}}.

` + serviceBlock + `

Conformément aux articles L. 112-3, L. 112-11 et R. 112-5 du code des relations entre le public et l'administration : votre demande est susceptible de donner lieu à une décision implicite d'acceptation. En l'absence de réponse de l'administration, et sous réserve que votre demande soit complète, elle sera réputée acceptée {{if date_limite}}le {{date_limite}}{{else}}au terme du délai applicable{{end}} (articles L. 231-1 et suivants du même code).
Vous pourrez alors obtenir, sur simple demande, une attestation de cette décision implicite d'acceptation (article L. 232-3 du même code).
Si votre demande est incomplète, le service vous indiquera les pièces et informations manquantes et le délai pour les produire ; le délai d'acceptation ne courra qu'à compter de leur réception (article L. 114-5 du même code).` + ackClosing},
	"svr": {
		`Accusé de réception de votre demande n° {{numero}}`,
		ackGreeting + `{{commune}} a bien reçu votre demande le {{date_arrivee}}. Elle est enregistrée sous le numéro {{numero}}.

` + serviceBlock + `

Conformément aux articles L. 112-3, L. 112-11 et R. 112-5 du code des relations entre le public et l'administration : votre demande est susceptible de donner lieu à une décision implicite de rejet. En l'absence de réponse de l'administration, et sous réserve que votre demande soit complète, elle sera réputée rejetée {{if date_limite}}le {{date_limite}}{{else}}au terme du délai applicable{{end}} (articles L. 231-4 et suivants du même code).
` + svrRemedies + `
Si votre demande est incomplète, le service vous indiquera les pièces et informations manquantes et le délai pour les produire ; le délai de rejet sera suspendu pendant ce délai (article L. 114-5 du même code).` + ackClosing},
	"incomplete": {
		`Demande incomplète n° {{numero}} : pièces à fournir`,
		ackGreeting + `{{commune}} a bien reçu votre demande le {{date_arrivee}}. Elle est enregistrée sous le numéro {{numero}}.

Votre demande est incomplète. Pour l'instruire, le service a besoin des pièces et informations suivantes :
{{pieces_manquantes}}

Merci de les adresser au service chargé du dossier au plus tard le {{date_limite_pieces}}, en rappelant le numéro {{numero}}.

` + serviceBlock + `

Conformément aux articles L. 114-5 et R. 112-5 du code des relations entre le public et l'administration :
{{- if eq silence_vaut "acceptation"}}
votre demande est susceptible de donner lieu à une décision implicite d'acceptation, mais le délai de {{delai}} au terme duquel, en l'absence de réponse, elle sera réputée acceptée ne court qu'à compter de la réception de ces pièces et informations.
Vous pourrez alors obtenir, sur simple demande, une attestation de cette décision implicite d'acceptation (article L. 232-3 du même code).
{{- else if eq silence_vaut "rejet"}}
votre demande est susceptible de donner lieu à une décision implicite de rejet. Le délai au terme duquel, en l'absence de réponse, elle sera réputée rejetée est suspendu pendant le délai imparti pour produire ces pièces et informations ; leur production avant le {{date_limite_pieces}} met fin à cette suspension. Si elles ne sont pas produites, votre demande sera réputée rejetée {{if date_limite}}le {{date_limite}}{{else}}au terme du délai applicable{{end}}.
` + svrRemedies + `
{{- else}}
le traitement de votre demande reprendra à la réception de ces pièces et informations.
{{- end}}` + ackClosing},
	"notice": {
		`Nouveau message sur le courrier n° {{.Number}}`,
		`Bonjour,

{{if .SenderName}}{{.SenderName}}{{else}}L'expéditeur{{end}} a répondu par e-mail au courrier n° {{.Number}} (« {{.Subject}} »).
Le message est joint au courrier dans Missive.
`},
}

// ackText gathers what the acknowledgement of letter l says, and the mode
// of the template that words it: the incomplete one while pieces are
// awaited (or for the letter asking them, kind "incomplete"), else the
// doctype's mode. l may be a letter being registered, without an ID yet.
func (b *Bridge) ackText(ctx context.Context, tenant string, l *domain.Letter, kind string, postal bool) (string, AckData, drafts.Values, error) {
	f, err := b.svc.LetterFields(ctx, tenant, l)
	if err != nil {
		return "", AckData{}, nil, fmt.Errorf("acknowledgement of %s: %w", l.Number, err)
	}
	mode := string(domain.ModeNormal)
	switch f.Silence {
	case "acceptation":
		mode = string(domain.ModeSVA)
	case "rejet":
		mode = string(domain.ModeSVR)
	}
	d := AckData{Commune: f.Tenant, Number: l.Number, ReceivedOn: numericDate(l.ArrivalDate), Service: f.Entity, ServiceMail: f.ServiceEmail,
		Doctype: f.Doctype, DueDate: numericDate(l.DueDate), Mode: mode, Postal: postal}
	if kind == "incomplete" {
		mode = "incomplete"
	} else if l.ID != "" {
		p, err := b.svc.System().LetterPieces(ctx, l.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", AckData{}, nil, err
		}
		if p.Awaited() {
			mode = "incomplete"
		}
	}
	return mode, d, f.Values(), nil
}

// sampleValues fill every field, to check that a template renders.
func sampleValues() drafts.Values {
	return drafts.Fields{Tenant: "Commune", Number: "2026/A/000001", ArrivalDate: "2026-01-01", DueDate: "2026-03-01", Entity: "Service",
		ServiceAddress: "1 place de la Mairie", ServicePhone: "01 00 00 00 00", ServiceEmail: "service@commune.fr", Doctype: "Demande",
		Delay: "2 mois", Silence: "acceptation", MissingPieces: []string{"Plan"}, PiecesDeadline: "2026-02-01", PiecesAskedOn: "2026-01-02"}.Values()
}

// CheckTemplate reports a template that does not render.
func CheckTemplate(subject, body string) error {
	_, _, err := render(subject, body, AckData{Commune: "Commune", Number: "2026/A/000001", Subject: "Objet", ReceivedOn: "01/01/2026", Service: "Service",
		DueDate: "01/02/2026", Mode: "sva"}, sampleValues())
	return err
}

// render renders a template with either syntax: the reply drafts' names
// as functions, the first templates' as fields of the dot.
func render(subject, body string, d AckData, v drafts.Values) (string, string, error) {
	var out [2]string
	for i, src := range []string{subject, body} {
		t, err := template.New("m").Option("missingkey=error").Funcs(ackFuncs(v, d.Postal)).Parse(src)
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

// numericDate writes a civil date AAAA-MM-JJ as JJ/MM/AAAA (the long
// form, "1er mars 2026", is drafts.FrenchDate).
func numericDate(d string) string {
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
func (b *Bridge) composeAnswer(o *domain.OutboxEntry) (string, error) {
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
		f, err := b.svc.System().OpenBlob(a.SHA256)
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

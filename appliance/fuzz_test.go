package appliance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
)

// knownKinds is every kind DecodeCommand may accept. A new kind is added
// here along with its handler; the fuzzer fails on any other.
var knownKinds = map[appliance.Kind]bool{
	appliance.KindTenantCreate: true, appliance.KindEntityCreate: true, appliance.KindUserCreate: true,
	appliance.KindUserUpdate: true, appliance.KindUserPassword: true, appliance.KindTokenCreate: true,
	appliance.KindContactCreate: true, appliance.KindDoctypeCreate: true, appliance.KindLetterRegister: true,
	appliance.KindLetterQualify: true, appliance.KindLetterRedirect: true, appliance.KindLetterNote: true,
	appliance.KindLetterAttach: true, appliance.KindLetterLink: true, appliance.KindLetterClose: true,
	appliance.KindLetterReopen:   true,
	appliance.KindMailAddressAdd: true, appliance.KindMailRelaySet: true, appliance.KindMailboxAdd: true,
	appliance.KindMailRuleAdd: true, appliance.KindMailTemplateSet: true, appliance.KindMailIntake: true,
	appliance.KindMailOutboxDone: true, appliance.KindMailNotice: true,
	appliance.KindMailAnswer: true, appliance.KindMailAckPolicySet: true, appliance.KindMailAckRelease: true,
	appliance.KindMailAddressRemove: true, appliance.KindMailboxRemove: true, appliance.KindMailRuleRemove: true,
	appliance.KindGEDTargetSet: true, appliance.KindGEDExportQueue: true, appliance.KindGEDExportResult: true,
	appliance.KindOnlyOfficeSet:    true,
	appliance.KindDraftTemplateAdd: true, appliance.KindDraftTemplateDelete: true, appliance.KindLetterDraft: true,
	appliance.KindDavPut: true, appliance.KindDavMkcol: true, appliance.KindDavDelete: true, appliance.KindDavMove: true,
	appliance.KindDavPropPatch: true, appliance.KindDavLock: true, appliance.KindDavRefresh: true, appliance.KindDavUnlock: true,
	appliance.KindDocumentRestore: true,
	appliance.KindDoctypeUpdate:   true,
	appliance.KindTenantUpdate:    true, appliance.KindEntityUpdate: true,
	appliance.KindLetterIncomplete: true, appliance.KindLetterPieces: true,
}

// envelopeFields are the JSON names of Command's fields.
var envelopeFields = []string{"v", "kind", "id", "tenant", "actor", "at", "payload"}

// fuzzAt is the fixed clock of the fixtures and seeds, so that the seed
// corpus is the same in every fuzz worker.
var fuzzAt = time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)

// Fixed ids of the fixtures, which the seeds name: every worker builds its
// own store, and random ids would differ from one worker to the next.
const (
	fxEntity  = "ent-urbanisme"
	fxVoirie  = "ent-voirie"
	fxAgent   = "usr-agent"
	fxContact = "ct-dupont"
	fxDoctype = "dt-permis"
	fxLetter1 = "let-0001"
	fxLetter2 = "let-0002"
	fxDoc     = "doc-0001"
)

// applyEnv is a store with the fixtures, and an Applier fed in log order.
type applyEnv struct {
	env *apptest.Env
	a   *appliance.Applier
}

func newApplyEnv(tb testing.TB) *applyEnv {
	tb.Helper()
	e := &applyEnv{env: apptest.New(tb, "")}
	e.a = appliance.NewApplier(e.env.Store, apptest.Logger()).WithHistoryKey(e.env.HistoryKey)
	admin := e.env.Admin.ID()
	for _, c := range []struct {
		kind    appliance.Kind
		payload any
	}{
		{appliance.KindEntityCreate, appliance.EntityCreate{ID: fxEntity, Code: "URBA", Name: "Service urbanisme", Email: "urbanisme@mairie-test.fr"}},
		{appliance.KindEntityCreate, appliance.EntityCreate{ID: fxVoirie, ParentID: fxEntity, Code: "VOIRIE", Name: "Voirie"}},
		{appliance.KindUserCreate, appliance.UserCreate{ID: fxAgent, Login: "cmartin", Name: "Claire Martin", Email: "c.martin@mairie-test.fr",
			Role: "agent", PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", Entities: []appliance.MembershipPayload{{EntityID: fxEntity, Manager: true}}}},
		{appliance.KindContactCreate, appliance.ContactCreate{ID: fxContact, Kind: "person", Civility: "M.", FirstName: "Jean", LastName: "Dupont",
			Email: "jean.dupont@example.fr", Address: "12 rue Victor Hugo", Postcode: "69001", City: "Lyon", Country: "France"}},
		{appliance.KindDoctypeCreate, appliance.DoctypeCreate{ID: fxDoctype, Code: "PERMIS", Label: "Permis de construire", DelayDays: 40, RemindBefore: 10, Mode: "sva"}},
		{appliance.KindLetterRegister, registerPayload(fxLetter1, 1, "Demande de permis de construire")},
		{appliance.KindLetterAttach, appliance.LetterAttach{LetterID: fxLetter1, DocumentID: fxDoc, NewDoc: true, Role: "main", Name: "demande.pdf",
			SHA256: strings.Repeat("ab", 32), Size: 1234, MIME: "application/pdf"}},
	} {
		b := encode(tb, c.kind, admin, c.payload)
		if r := e.apply(b); r.Err != nil {
			tb.Fatalf("fixture %s: %v", c.kind, r.Err)
		}
	}
	return e
}

func registerPayload(id string, num int, subject string) appliance.LetterRegister {
	return appliance.LetterRegister{
		ID: id, Category: "incoming", Year: 2026, Num: num, Number: fmt.Sprintf("2026/A/%06d", num),
		Subject: subject, Body: "Madame, Monsieur, je sollicite un permis de construire pour une extension.",
		LetterDate: "2026-03-12", ArrivalDate: "2026-03-16", Priority: "normal", SenderID: fxContact, EntityID: fxEntity,
		AssigneeID: fxAgent, DoctypeID: fxDoctype, DueDate: "2026-05-13", Status: "in_progress", Channel: "paper",
		Copies: []appliance.CopyPayload{{Kind: "entity", Ref: fxVoirie}},
	}
}

func encode(tb testing.TB, kind appliance.Kind, actor string, payload any) []byte {
	tb.Helper()
	c, err := appliance.NewCommand(kind, "default", actor, fuzzAt, payload)
	if err != nil {
		tb.Fatal(err)
	}
	c.ID = "cmd-" + string(kind)
	b, err := c.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// apply applies b at the next log index, as a node of one would.
func (e *applyEnv) apply(b []byte) *appliance.Result {
	idx, err := e.env.Store.AppliedIndex(context.Background())
	if err != nil {
		return &appliance.Result{Err: err}
	}
	return e.a.Apply(idx+1, b).(*appliance.Result)
}

// seedCommands are valid commands on the fixtures, one or more per kind.
func seedCommands() []seedCommand {
	return []seedCommand{
		{appliance.KindTenantCreate, appliance.TenantCreate{ID: "strasbourg", Name: "Ville de Strasbourg", AlsaceMoselle: true}},
		{appliance.KindEntityCreate, appliance.EntityCreate{ID: "ent-etat-civil", ParentID: fxEntity, Code: "EC", Name: "État civil", Email: "etat-civil@mairie-test.fr"}},
		{appliance.KindUserCreate, appliance.UserCreate{ID: "usr-elu", Login: "adjoint.urba", Name: "Élise Lefèvre", Role: "elected",
			Entities: []appliance.MembershipPayload{{EntityID: fxEntity}}}},
		{appliance.KindUserUpdate, appliance.UserUpdate{UserID: fxAgent, Name: "Claire Martin-Roux", Role: "agent", Entities: []appliance.MembershipPayload{{EntityID: fxVoirie}}}},
		{appliance.KindUserPassword, appliance.UserPassword{UserID: fxAgent, PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2Fsdg$aGFzaA"}},
		{appliance.KindTokenCreate, appliance.TokenCreate{ID: "tok-1", UserID: fxAgent, Name: "script d'import", Hash: strings.Repeat("0f", 32)}},
		{appliance.KindContactCreate, appliance.ContactCreate{ID: "ct-asso", Kind: "organization", Organization: "Association « Les Amis du Parc »", Email: "contact@amisduparc.fr"}},
		{appliance.KindDoctypeCreate, appliance.DoctypeCreate{ID: "dt-elagage", Code: "ELAGAGE", Label: "Demande d'élagage", DelayDays: 15, RemindBefore: 3, RemindAfter: 5, Mode: "normal"}},
		{appliance.KindLetterRegister, registerPayload(fxLetter2, 2, "Élagage des platanes, rue Victor Hugo 🌳")},
		{appliance.KindLetterQualify, appliance.LetterQualify{LetterID: fxLetter1, Subject: "Permis de construire: extension", Priority: "high", EntityID: fxEntity, DoctypeID: fxDoctype, DueDate: "2026-05-13"}},
		{appliance.KindLetterRedirect, appliance.LetterRedirect{LetterID: fxLetter1, EntityID: fxVoirie, AssigneeID: fxAgent, NoteID: "note-1", Note: "Pour avis de la voirie."}},
		{appliance.KindLetterNote, appliance.LetterNote{LetterID: fxLetter1, NoteID: "note-2", Text: "Pièces complémentaires demandées.", Entities: []string{fxEntity}}},
		{appliance.KindLetterAttach, appliance.LetterAttach{LetterID: fxLetter1, DocumentID: fxDoc, Role: "main", Name: "demande-v2.pdf", SHA256: strings.Repeat("cd", 32), Size: 2048, MIME: "application/pdf"}},
		{appliance.KindLetterLink, appliance.LetterLink{LetterID: fxLetter1, OtherID: fxLetter2}},
		{appliance.KindLetterClose, appliance.LetterClose{LetterID: fxLetter1, NoteID: "note-3", Note: "Arrêté de permis signé."}},
		{appliance.KindLetterReopen, appliance.LetterReopen{LetterID: fxLetter1, NoteID: "note-4", Note: "Recours gracieux reçu."}},
		{appliance.KindMailAddressAdd, appliance.MailAddressAdd{Address: "urbanisme@mairie-test.fr", EntityID: fxEntity, DoctypeID: fxDoctype}},
		{appliance.KindMailIntake, mailIntake()},
		{appliance.KindMailIntake, appliance.MailIntake{Key: "imap:2", MessageID: "<re-1@example.fr>", Kind: "reply", Source: "imap",
			FromAddress: "jean.dupont@example.fr", Subject: "Re: votre demande", LetterID: fxLetter1, NoteID: "note-mail", Note: "Voici le plan cadastral."}},
		{appliance.KindMailOutboxDone, appliance.MailOutboxResult{ID: "out-1", Status: "sent", Attempts: 1}},
		{appliance.KindMailNotice, appliance.MailNoticeAdd{ID: "notice-1", Key: "imap-auth", Text: "Connexion IMAP refusée: mot de passe incorrect."}},
		{appliance.KindDavMkcol, appliance.DavMkcol{Space: "u:" + fxAgent, Path: "/brouillons", LockRoot: "/~agent/brouillons"}},
		{appliance.KindDavPut, appliance.DavPut{Space: "u:" + fxAgent, Path: "/notes.txt", Name: "notes.txt", SHA256: strings.Repeat("ab", 32), Size: 12, MIME: "text/plain", LockRoot: "/~agent/notes.txt",
			Props: []domain.DavProp{{NS: "http://example.com/ns", Name: "auteur", XML: "Claire"}}}},
		{appliance.KindDavPut, appliance.DavPut{Space: "l:" + fxLetter1, LetterID: fxLetter1, Path: "/reponse.odt", Name: "reponse.odt", DocumentID: "doc-dav", NewDoc: true,
			SHA256: strings.Repeat("ef", 32), Size: 4096, MIME: "application/vnd.oasis.opendocument.text", LockRoot: "/2026-A-000001/reponse.odt"}},
		{appliance.KindDavLock, appliance.DavLock{Token: "urn:uuid:6f1d2c9e-0000-4000-8000-000000000001", Root: "/2026-A-000001/reponse.odt", TimeoutS: 600, OwnerXML: "<D:href>Claire</D:href>", LetterID: fxLetter1}},
		{appliance.KindDocumentRestore, appliance.DocumentRestore{LetterID: fxLetter1, DocumentID: fxDoc, Version: 1}},
		{appliance.KindTenantUpdate, appliance.TenantUpdate{Name: "Ville de Saint-Martin", Address: "1 place de la Mairie\n67000 Saint-Martin",
			Phone: "03 88 00 00 00", Email: "mairie@saint-martin.fr", Website: "https://www.saint-martin.fr", AlsaceMoselle: true}},
		{appliance.KindEntityUpdate, appliance.EntityUpdate{EntityID: fxVoirie, Name: "Voirie", Email: "voirie@saint-martin.fr",
			Address: "Centre technique\n2 rue des Ateliers\n67000 Saint-Martin", Phone: "03 88 00 00 10"}},
		{appliance.KindLetterIncomplete, appliance.LetterIncomplete{LetterID: fxLetter1, Missing: "Plan de situation\nPhotographies", Deadline: "2026-04-10",
			AskedOn: "2026-03-10", DueBefore: "2026-05-10", DueDate: "2026-06-10", Notice: &appliance.OutboxPayload{ID: "ob-pieces", Kind: "incomplete",
				MessageID: "incomplete.ob-pieces@mairie-test.fr", MailFrom: "mairie@mairie-test.fr", RcptTo: "jeanne@example.fr", Subject: "(en attente de rédaction)", Held: true}}},
		{appliance.KindLetterPieces, appliance.LetterPiecesReceived{LetterID: fxLetter1, ReceivedOn: "2026-03-20", DueDate: "2026-05-20"}},
		{appliance.KindDoctypeUpdate, appliance.DoctypeUpdate{DoctypeID: fxDoctype, Label: "Permis de construire", DelayDays: 2, DelayUnit: "months", RemindBefore: 10, Mode: "sva",
			RetentionYears: 10, FinalDisposition: "conserver"}},
	}
}

func mailIntake() appliance.MailIntake {
	l := registerPayload("let-mail", 3, "Demande d'acte de naissance")
	l.Channel = "email"
	l.SenderID = ""
	l.NewSender = &appliance.ContactCreate{ID: "ct-mail", Kind: "person", LastName: "Moreau", Email: "l.moreau@example.fr"}
	return appliance.MailIntake{Key: "imap:1", MessageID: "<demande-1@example.fr>", Kind: "letter", Source: "imap",
		FromAddress: "l.moreau@example.fr", Subject: l.Subject, Letter: &l,
		Outbox: []appliance.OutboxPayload{{ID: "out-1", Kind: "ack", MessageID: "<ack-1@mairie-test.fr>", MailFrom: "courrier@mairie-test.fr",
			RcptTo: "l.moreau@example.fr", Subject: "Accusé de réception", Content: "Subject: Accusé de réception\r\n\r\nBien reçu."}}}
}

type seedCommand struct {
	kind    appliance.Kind
	payload any
}

func FuzzDecodeCommand(f *testing.F) {
	e := newApplyEnv(f)
	admin := e.env.Admin.ID()
	for _, c := range seedCommands() {
		f.Add(encode(f, c.kind, admin, c.payload))
	}
	// Refused envelopes, for the fuzzer to start from.
	ok := string(encode(f, appliance.KindLetterNote, admin, appliance.LetterNote{LetterID: fxLetter1, NoteID: "note-5", Text: "Vu."}))
	for _, s := range []string{
		strings.Replace(ok, `"v":2`, `"v":3`, 1),
		strings.Replace(ok, `"v":2`, `"v":0`, 1),
		strings.Replace(ok, `"letter.note"`, `"letter.delete"`, 1),
		strings.Replace(ok, `"letter.note"`, `"Letter.Note"`, 1),
		strings.Replace(ok, `{"v":2`, `{"v":2,"signature":"x"`, 1),
		strings.Replace(ok, `"tenant":"default"`, `"tenant":""`, 1),
		strings.Replace(ok, `"at":"2026-03-16T09:30:00Z"`, `"at":"0001-01-01T00:00:00Z"`, 1),
		strings.Replace(ok, `"text":"Vu."`, `"text":"Vu.","urgent":true`, 1),
		string(encode(f, appliance.KindLetterNote, admin, []string{"Vu."})),
		strings.Replace(ok, `"kind"`, `"KIND"`, 1),
		ok + ` {}`,
		ok + `]`,
		ok[:len(ok)/2],
		`null`, `{}`, `[]`, `{"v":1e0}`, "\x00",
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := appliance.DecodeCommand(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		checkAccepted(t, data, cmd)

		enc, err := cmd.Encode()
		if err != nil {
			t.Fatalf("accepted command does not encode: %v", err)
		}
		again, err := appliance.DecodeCommand(enc)
		if err != nil {
			t.Fatalf("re-encoded command refused: %v\n%s", err, enc)
		}
		if again.V != cmd.V || again.Kind != cmd.Kind || again.ID != cmd.ID || again.Tenant != cmd.Tenant ||
			again.Actor != cmd.Actor || !again.At.Equal(cmd.At) || !sameJSON(t, again.Payload, cmd.Payload) {
			t.Fatalf("round trip changed the command:\n%+v\n%+v", cmd, again)
		}
		if enc2, err := again.Encode(); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, enc, enc2)
		}

		e.checkApply(t, data)
	})
}

// checkApply applies an accepted command: it must not panic, and it adds
// exactly one history entry if applied, none if refused.
func (e *applyEnv) checkApply(t *testing.T, data []byte) {
	t.Helper()
	ctx := context.Background()
	seq, head, err := e.env.Store.Reader().LastHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := e.apply(data)
	seq2, head2, err := e.env.Store.Reader().LastHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case res.Err != nil && (seq2 != seq || head2 != head):
		t.Fatalf("refused command (%v) changed the history: %d %s → %d %s", res.Err, seq, head, seq2, head2)
	case res.Err == nil && seq2 != seq+1:
		t.Fatalf("applied command added %d history entries, want 1", seq2-seq)
	}
}

// FuzzApplyCommand varies the payload inside a valid envelope, where
// DecodeCommand lets everything through to the kind's handler.
func FuzzApplyCommand(f *testing.F) {
	e := newApplyEnv(f)
	for _, c := range seedCommands() {
		b, err := json.Marshal(c.payload)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(c.kind), b)
	}
	f.Add(string(appliance.KindLetterRegister), []byte(`{"id":"let-x","category":"incoming","year":2026,"num":2,"number":"2026/A/000002","new_sender":{"id":"ct-x","kind":"person","last_name":"Durand","email":"jean.dupont@example.fr"},"documents":[{"document_id":"doc-x","new_doc":true,"role":"main","name":"scan.pdf","size":-1}]}`))
	f.Add(string(appliance.KindLetterAttach), []byte(`{"letter_id":"`+fxLetter2+`","document_id":"`+fxDoc+`","name":"autre.pdf"}`))
	f.Add(string(appliance.KindLetterLink), []byte(`{"letter_id":"`+fxLetter1+`","other_id":"`+fxLetter1+`"}`))
	f.Add(string(appliance.KindUserCreate), []byte(`{"id":"u2","login":"admin","role":"superadmin","entities":[{"entity_id":"nulle-part"}]}`))
	f.Add(string(appliance.KindLetterNote), []byte(`null`))
	f.Add(string(appliance.KindLetterClose), []byte(`{}`))
	f.Fuzz(func(t *testing.T, kind string, payload []byte) {
		if !json.Valid(payload) {
			return
		}
		c := &appliance.Command{V: appliance.CommandVersion, Kind: appliance.Kind(kind), ID: "cmd-fuzz", Tenant: "default",
			Actor: fxAgent, At: fuzzAt, Payload: payload}
		data, err := c.Encode()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if _, err := appliance.DecodeCommand(data); err != nil {
			if knownKinds[c.Kind] {
				t.Fatalf("known kind %q refused: %v", kind, err)
			}
			return
		}
		e.checkApply(t, data)
	})
}

// checkAccepted holds DecodeCommand to its contract: only a known version,
// a known kind, the envelope's own fields and a complete stamp.
func checkAccepted(t *testing.T, data []byte, cmd *appliance.Command) {
	t.Helper()
	if cmd.V < 1 || cmd.V > appliance.CommandVersion {
		t.Fatalf("accepted version %d", cmd.V)
	}
	if !knownKinds[cmd.Kind] {
		t.Fatalf("accepted unknown kind %q", cmd.Kind)
	}
	if cmd.Tenant == "" || cmd.Actor == "" || cmd.At.IsZero() {
		t.Fatalf("accepted an unstamped command: %+v", cmd)
	}
	if !json.Valid(data) {
		t.Fatalf("accepted invalid JSON: %q", data)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("accepted something that is not a JSON object: %v", err)
	}
	for k := range m {
		known := false
		for _, f := range envelopeFields {
			// encoding/json matches names case-insensitively.
			known = known || strings.EqualFold(k, f)
		}
		if !known {
			t.Fatalf("accepted unknown field %q", k)
		}
	}
}

// sameJSON compares two JSON values by meaning: Encode compacts a payload
// and escapes <, > and &, so the bytes may differ.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	va, vb := jsonValue(t, a), jsonValue(t, b)
	return reflect.DeepEqual(va, vb)
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("payload %q is not JSON: %v", b, err)
	}
	return v
}

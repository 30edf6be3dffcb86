package appliance_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/drafts"
)

// markedTemplate is the built-in template with the entity line replaced by
// marker, so that a test sees which template a draft came from.
func markedTemplate(t *testing.T, marker string) []byte {
	t.Helper()
	b, _, err := drafts.Merge(drafts.DefaultTemplate(), drafts.Values{"commune": marker})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// draftContent reads content.xml of a document's latest version.
func draftContent(t *testing.T, svc *appliance.Service, a *appliance.Actor, docID string) string {
	t.Helper()
	_, _, f, err := svc.OpenDocument(t.Context(), a, docID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("draft is not a zip: %v", err)
	}
	for _, zf := range zr.File {
		if zf.Name == "content.xml" {
			rc, _ := zf.Open()
			c, _ := io.ReadAll(rc)
			rc.Close()
			return string(c)
		}
	}
	t.Fatal("draft has no content.xml")
	return ""
}

func TestDraftTemplateChoice(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		urba := env.entity(t, env.root(t).ID, "URBA", "Urbanisme")
		dts, err := env.Svc.Doctypes(ctx, env.Admin)
		if err != nil || len(dts) == 0 {
			t.Fatalf("doctypes: %v", err)
		}
		dt := dts[0].ID
		add := func(marker, entity, doctype string) {
			t.Helper()
			if _, err := env.Svc.AddDraftTemplate(ctx, env.Admin, appliance.TemplateInput{Name: marker, EntityID: entity, DoctypeID: doctype,
				FileName: marker + ".odt", Body: bytes.NewReader(markedTemplate(t, marker))}); err != nil {
				t.Fatalf("add template %s: %v", marker, err)
			}
		}
		add("MODELE-GENERAL", "", "")
		add("MODELE-ENTITE", urba.ID, "")
		add("MODELE-TYPE", "", dt)
		add("MODELE-ENTITE-TYPE", urba.ID, dt)
		for _, c := range []struct {
			entity, doctype, want string
		}{
			{urba.ID, dt, "MODELE-ENTITE-TYPE"},
			{urba.ID, "", "MODELE-ENTITE"},
			{"", dt, "MODELE-TYPE"},
			{"", "", "MODELE-GENERAL"},
		} {
			l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Choix " + c.want, EntityID: c.entity, DoctypeID: c.doctype})
			d, err := env.Svc.CreateDraft(ctx, env.Admin, l.ID, "")
			if err != nil {
				t.Fatalf("draft of %s: %v", l.Number, err)
			}
			if d.Template != c.want || !strings.Contains(draftContent(t, env.Svc, env.Admin, d.Document.ID), c.want) {
				t.Errorf("letter entity=%q doctype=%q: template %q, want %s", c.entity, c.doctype, d.Template, c.want)
			}
		}
		ts, err := env.Svc.DraftTemplates(ctx, env.Admin)
		if err != nil || len(ts) != 4 {
			t.Fatalf("templates: %d, %v", len(ts), err)
		}
		if !strings.Contains(ts[0].Fields, "numero") {
			t.Errorf("fields found in the template: %q", ts[0].Fields)
		}
		// Without templates the built-in one is used.
		for _, tp := range ts {
			if err := env.Svc.DeleteDraftTemplate(ctx, env.Admin, tp.ID); err != nil {
				t.Fatalf("delete %s: %v", tp.Name, err)
			}
		}
		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Sans modèle", EntityID: urba.ID})
		d, err := env.Svc.CreateDraft(ctx, env.Admin, l.ID, "")
		if err != nil || d.Template != drafts.DefaultName {
			t.Fatalf("draft without templates: %+v, %v", d, err)
		}
		wantErr(t, "delete again", env.Svc.DeleteDraftTemplate(ctx, env.Admin, ts[0].ID), appliance.ErrNotFound)

		// Bad uploads.
		var fe appliance.FieldErrors
		_, err = env.Svc.AddDraftTemplate(ctx, env.Admin, appliance.TemplateInput{Name: "texte", FileName: "a.txt", Body: strings.NewReader("pas un modèle")})
		if !errors.As(err, &fe) || fe["file"] == "" {
			t.Errorf("text file as template: %v", err)
		}
		_, err = env.Svc.AddDraftTemplate(ctx, env.Admin, appliance.TemplateInput{Name: "x", EntityID: "nope", FileName: "a.odt", Body: bytes.NewReader(drafts.DefaultTemplate())})
		if !errors.As(err, &fe) || fe["entity_id"] == "" {
			t.Errorf("unknown entity: %v", err)
		}
		agent := env.user(t, "agent", domain.RoleAgent, member(urba))
		_, err = env.Svc.AddDraftTemplate(ctx, agent, appliance.TemplateInput{Name: "x", FileName: "a.odt", Body: bytes.NewReader(drafts.DefaultTemplate())})
		wantErr(t, "agent adds a template", err, appliance.ErrForbidden)
		// Apply checks the payload too: a command stamped elsewhere.
		r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindDraftTemplateAdd, appliance.DraftTemplateAdd{ID: "t1", Name: "x", Format: "pdf", SHA256: strings.Repeat("a", 64)})
		wantErr(t, "apply pdf template", r.Err, appliance.ErrInvalid)
	})
}

func TestCreateDraft(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		urba := env.entity(t, env.root(t).ID, "URBA", "Urbanisme")
		voirie := env.entity(t, env.root(t).ID, "VOIRIE", "Voirie")
		agent := env.user(t, "agent", domain.RoleAgent, member(urba))
		outsider := env.user(t, "autre", domain.RoleAgent, member(voirie))
		elected := env.user(t, "elu", domain.RoleElected, member(urba))
		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Permis & clôture <urgent>", EntityID: urba.ID, LetterDate: "2026-03-01",
			Sender: &appliance.ContactInput{FirstName: "Alice", LastName: "Dupont & Fils", Email: "alice@example.fr", Address: "12 rue des Lilas", Postcode: "38000", City: "Grenoble"}})

		_, err := env.Svc.CreateDraft(ctx, outsider, l.ID, "")
		wantErr(t, "draft outside the perimeter", err, appliance.ErrNotFound)
		_, err = env.Svc.CreateDraft(ctx, elected, l.ID, "")
		wantErr(t, "draft by an elected official", err, appliance.ErrForbidden)
		_, err = env.Svc.CreateDraft(ctx, agent, l.ID, "inconnu")
		wantErr(t, "unknown template", err, appliance.ErrNotFound)

		d, err := env.Svc.CreateDraft(ctx, agent, l.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		want := "reponse-" + strings.ReplaceAll(l.Number, "/", "-") + ".odt"
		if !d.Created || d.Document.Name != want || d.Document.Role != domain.DocDraft || d.Document.Versions[0].MIME != drafts.ODT.MIME() {
			t.Fatalf("draft %+v", d.Document)
		}
		if d.Path != "/dav/default/"+strings.ReplaceAll(l.Number, "/", "-")+"/"+want {
			t.Errorf("path %s", d.Path)
		}
		content := draftContent(t, env.Svc, agent, d.Document.ID)
		for _, s := range []string{"Alice Dupont &amp; Fils", "12 rue des Lilas<text:line-break/>38000 Grenoble", l.Number, "Permis &amp; clôture &lt;urgent&gt;",
			"Agent agent", "Urbanisme", "Commune de Test", "1er mars 2026", "Le 10 mars 2026"} {
			if !strings.Contains(content, s) {
				t.Errorf("draft lacks %q", s)
			}
		}
		// Again: the same draft, untouched (someone may be editing it).
		again, err := env.Svc.CreateDraft(ctx, env.Admin, l.ID, "")
		if err != nil || again.Created || again.Document.ID != d.Document.ID || again.Path != d.Path {
			t.Fatalf("second draft: %+v, %v", again, err)
		}
		lv, err := env.Svc.View(ctx, env.Admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(lv.Documents) != 1 || !strings.Contains(lv.History[len(lv.History)-1].Summary, want) {
			t.Errorf("documents %d, last history %q", len(lv.Documents), lv.History[len(lv.History)-1].Summary)
		}
		// A draft stamped elsewhere for the same letter is refused at
		// Apply: one draft per letter whichever node proposes it.
		r := env.applyDirect(t, "default", agent.ID(), appliance.KindLetterDraft, appliance.LetterDraft{LetterAttach: appliance.LetterAttach{
			LetterID: l.ID, DocumentID: appliance.NewID(), NewDoc: true, Role: "draft", Name: want, SHA256: d.Document.Versions[0].SHA256, Size: 1, MIME: "x"}})
		var exists *appliance.DraftExistsError
		if !errors.As(r.Err, &exists) || exists.DocumentID != d.Document.ID || !errors.Is(r.Err, appliance.ErrConflict) {
			t.Errorf("second draft applied: %v", r.Err)
		}
		// No final answer from a closed letter, nor a draft.
		env.Svc.Office.Soffice = "soffice-absent-de-ce-serveur"
		_, err = env.Svc.FinalPDF(ctx, agent, l.ID)
		if !errors.Is(err, drafts.ErrNoOffice) || !strings.Contains(err.Error(), "LibreOffice n'est pas installé") {
			t.Errorf("final PDF without LibreOffice: %v", err)
		}
		if _, err := env.Svc.Close(ctx, agent, l.ID, ""); err != nil {
			t.Fatal(err)
		}
		_, err = env.Svc.CreateDraft(ctx, agent, l.ID, "")
		wantErr(t, "draft of a closed letter", err, appliance.ErrConflict)
		_, err = env.Svc.FinalPDF(ctx, agent, l.ID)
		wantErr(t, "final PDF of a closed letter", err, appliance.ErrConflict)
		other := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Sans projet", EntityID: urba.ID})
		_, err = env.Svc.FinalPDF(ctx, agent, other.ID)
		wantErr(t, "final PDF without a draft", err, appliance.ErrConflict)
	})
}

// TestFinalPDF runs LibreOffice: on one store only, it is the slow part.
func TestFinalPDF(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("soffice"); err != nil {
		t.Fatalf("LibreOffice is required (apt-get install libreoffice-writer-nogui): %v", err)
	}
	env := apptest.New(t, "")
	ctx := t.Context()
	l, err := env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Réponse en PDF"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.CreateDraft(ctx, env.Admin, l.ID, ""); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		d, err := env.Svc.FinalPDF(ctx, env.Admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := d.Versions[len(d.Versions)-1]
		if d.Name != "reponse-"+strings.ReplaceAll(l.Number, "/", "-")+".pdf" || last.MIME != "application/pdf" || len(d.Versions) != i {
			t.Fatalf("final answer %d: %+v", i, d)
		}
		_, _, f, err := env.Svc.OpenDocument(ctx, env.Admin, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 5)
		io.ReadFull(f, head)
		f.Close()
		if string(head) != "%PDF-" {
			t.Fatalf("final answer is not a PDF: %q", head)
		}
	}
}

// TestCreateDraftTwiceAtOnce: a double click makes one draft.
func TestCreateDraftTwiceAtOnce(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx := t.Context()
	l, err := env.Svc.RegisterLetter(ctx, env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Double clic"})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan *appliance.Draft, 4)
	for range 4 {
		go func() {
			d, err := env.Svc.CreateDraft(ctx, env.Admin, l.ID, "")
			if err != nil {
				t.Error(err)
			}
			results <- d
		}()
	}
	created, id := 0, ""
	for range 4 {
		d := <-results
		if d == nil {
			continue
		}
		if d.Created {
			created++
		}
		if id != "" && d.Document.ID != id {
			t.Errorf("two drafts: %s and %s", id, d.Document.ID)
		}
		id = d.Document.ID
	}
	lv, err := env.Svc.View(ctx, env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(lv.Documents) != 1 {
		t.Errorf("%d created, %d documents; want one draft", created, len(lv.Documents))
	}
}

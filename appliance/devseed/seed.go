package devseed

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// The organisation of a town of a few thousand inhabitants: the services
// the generator's themes route to, with their agents. Codes match the
// themes' entity fields.
var orgEntities = []struct{ code, name, parent string }{
	{"CABINET", "Cabinet du maire", ""},
	{"COURRIER", "Service courrier", ""},
	{"DGS", "Direction générale des services", ""},
	{"ST", "Services techniques", "DGS"},
	{"VOIRIE", "Voirie et réseaux", "ST"},
	{"EV", "Espaces verts", "ST"},
	{"URBA", "Urbanisme", "DGS"},
	{"EC", "État civil – Population", "DGS"},
	{"ENF", "Enfance – Éducation", "DGS"},
	{"ASSO", "Vie associative, sports et culture", "DGS"},
	{"FIN", "Finances – Commande publique", "DGS"},
	{"POLICE", "Police municipale", "DGS"},
	{"CCAS", "Centre communal d'action sociale", ""},
}

var orgDoctypes = []appliance.DoctypeInput{
	{Code: "URBANISME", Label: "Autorisation d'urbanisme", DelayDays: 2, DelayUnit: domain.UnitMonths, RemindBefore: 10, Mode: domain.ModeSVA},
	{Code: "ETAT-CIVIL", Label: "Demande d'acte d'état civil", DelayDays: 10, RemindBefore: 3, RemindAfter: 3, Mode: domain.ModeNormal},
	{Code: "SUBVENTION", Label: "Demande de subvention", DelayDays: 60, RemindBefore: 10, RemindAfter: 10, Mode: domain.ModeNormal},
	{Code: "MARCHE", Label: "Marché public", DelayDays: 20, RemindBefore: 5, RemindAfter: 2, Mode: domain.ModeNormal},
	{Code: "INFO", Label: "Pour information", DelayDays: 0, Mode: domain.ModeNormal},
}

var orgUsers = []struct {
	login, name string
	role        domain.Role
	entity      string
	manager     bool
}{
	{"courrier", "Martine Lebrun", domain.RoleMailroom, "COURRIER", false},
	{"courrier2", "Kévin Royer", domain.RoleMailroom, "COURRIER", false},
	{"maire", "Bernard Chaumont", domain.RoleElected, "CABINET", true},
	{"cabinet", "Aurélie Fabre", domain.RoleAgent, "CABINET", false},
	{"dgs", "Nathalie Brisset", domain.RoleAgent, "DGS", true},
	{"st", "Gilles Perrin", domain.RoleAgent, "ST", true},
	{"voirie", "Julien Morel", domain.RoleAgent, "VOIRIE", false},
	{"voirie2", "Sébastien Collet", domain.RoleAgent, "VOIRIE", false},
	{"ev", "Loïc Guillot", domain.RoleAgent, "EV", false},
	{"urba", "Céline Marchal", domain.RoleAgent, "URBA", false},
	{"urba2", "Thomas Vasseur", domain.RoleAgent, "URBA", false},
	{"etatcivil", "Françoise Aubry", domain.RoleAgent, "EC", false},
	{"enfance", "Émilie Jacquet", domain.RoleAgent, "ENF", false},
	{"asso", "Rachid Benali", domain.RoleAgent, "ASSO", false},
	{"finances", "Hélène Prévost", domain.RoleAgent, "FIN", false},
	{"police", "David Lacroix", domain.RoleAgent, "POLICE", false},
	{"ccas", "Sophie Renaud", domain.RoleAgent, "CCAS", false},
}

// Seeder registers generated letters through appliance.Service: the real
// write path, so that seeding measures what production does and the data
// carries a valid history chain. It resolves the generator's codes to ids
// and acts as the users a town hall would: the mail room registers and
// routes, the service's agent annotates and closes.
type Seeder struct {
	Svc     *appliance.Service
	Tenant  string // "" means "default"
	Gen     *Generator
	Workers int // 0 means 4
	// Documents gives each letter its scan (Scan), in the same command.
	Documents bool
	// Progress is called at every 5 % of the letters and at the end.
	Progress func(done, total int, elapsed time.Duration)

	entities map[string]string // code → id
	doctypes map[string]string
	agents   map[string][]*appliance.Actor // entity code → its agents
	admin    *appliance.Actor
	mailroom *appliance.Actor
	contacts sync.Map // Contact.Key → contact id
}

// Stats counts what Run did.
type Stats struct {
	Letters, Redirects, Notes, Closes int64
	Elapsed                           time.Duration
}

// Setup creates the entities, doctypes and users that are missing, and
// returns the password given to the users it created ("" if none).
func (s *Seeder) Setup(ctx context.Context) (string, error) {
	if s.Tenant == "" {
		s.Tenant = "default"
	}
	sys, err := s.Svc.SystemActor(ctx, s.Tenant)
	if err != nil {
		return "", fmt.Errorf("commune %s: %w", s.Tenant, err)
	}
	if err := s.setupEntities(ctx, sys); err != nil {
		return "", err
	}
	if err := s.setupDoctypes(ctx, sys); err != nil {
		return "", err
	}
	password := ""
	s.agents = map[string][]*appliance.Actor{}
	for _, u := range orgUsers {
		existing, err := s.Svc.UserByLogin(ctx, sys, u.login)
		if err != nil {
			if password == "" {
				password = appliance.GeneratePassword()
			}
			existing, err = s.Svc.CreateUser(ctx, sys, appliance.UserInput{Login: u.login, Name: u.name, Role: u.role, Password: password,
				Entities: []domain.Membership{{EntityID: s.entities[u.entity], Manager: u.manager}}})
			if err != nil {
				return "", fmt.Errorf("utilisateur %s: %w", u.login, err)
			}
		}
		a, err := s.Svc.ActorFor(ctx, s.Tenant, existing.ID)
		if err != nil {
			return "", err
		}
		switch {
		case u.role == domain.RoleMailroom && s.mailroom == nil:
			s.mailroom = a
		case u.role == domain.RoleAgent:
			s.agents[u.entity] = append(s.agents[u.entity], a)
		}
	}
	s.admin = sys
	if u, err := s.Svc.UserByLogin(ctx, sys, "admin"); err == nil {
		if a, err := s.Svc.ActorFor(ctx, s.Tenant, u.ID); err == nil {
			s.admin = a
		}
	}
	return password, nil
}

// setupEntities creates the organisation's entities that are missing,
// under the tenant's root, and remembers every entity's id by code.
func (s *Seeder) setupEntities(ctx context.Context, sys *appliance.Actor) error {
	s.entities = map[string]string{}
	ents, err := s.Svc.Entities(ctx, sys)
	if err != nil {
		return err
	}
	root := ""
	for _, e := range ents {
		s.entities[e.Code] = e.ID
		if e.ParentID == "" && root == "" {
			root = e.ID
		}
	}
	for _, e := range orgEntities {
		if _, ok := s.entities[e.code]; ok {
			continue
		}
		parent := root
		if e.parent != "" {
			parent = s.entities[e.parent]
		}
		created, err := s.Svc.CreateEntity(ctx, sys, appliance.EntityInput{ParentID: parent, Code: e.code, Name: e.name})
		if err != nil {
			return fmt.Errorf("entité %s: %w", e.code, err)
		}
		s.entities[e.code] = created.ID
	}
	return nil
}

// setupDoctypes creates the doctypes that are missing and remembers every
// doctype's id by code.
func (s *Seeder) setupDoctypes(ctx context.Context, sys *appliance.Actor) error {
	s.doctypes = map[string]string{}
	dts, err := s.Svc.Doctypes(ctx, sys)
	if err != nil {
		return err
	}
	for _, d := range dts {
		s.doctypes[d.Code] = d.ID
	}
	for _, d := range orgDoctypes {
		if _, ok := s.doctypes[d.Code]; ok {
			continue
		}
		created, err := s.Svc.CreateDoctype(ctx, sys, d)
		if err != nil {
			return fmt.Errorf("type de courrier %s: %w", d.Code, err)
		}
		s.doctypes[d.Code] = created.ID
	}
	return nil
}

// Run registers n letters with their follow-ups. Letters are generated in
// order by one goroutine, so their content does not depend on Workers;
// only the order in which they get their numbers does.
func (s *Seeder) Run(ctx context.Context, n int) (Stats, error) {
	if s.entities == nil {
		if _, err := s.Setup(ctx); err != nil {
			return Stats{}, err
		}
	}
	workers := s.Workers
	if workers <= 0 {
		workers = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	letters := make(chan Letter, 2*workers)
	go func() {
		defer close(letters)
		for i := 0; i < n; i++ {
			select {
			case letters <- s.Gen.Next():
			case <-ctx.Done():
				return
			}
		}
	}()
	var st Stats
	var done atomic.Int64
	var progressMu sync.Mutex
	step := int64(max(1, n/20))
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range letters {
				if err := s.register(ctx, &l, &st); err != nil {
					cancel(fmt.Errorf("courrier n° %d (%s): %w", l.Index, l.Theme, err))
					return
				}
				if d := done.Add(1); (d%step == 0 || d == int64(n)) && s.Progress != nil {
					progressMu.Lock()
					s.Progress(int(d), n, time.Since(start))
					progressMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	st.Letters = done.Load()
	st.Elapsed = time.Since(start)
	return st, context.Cause(ctx)
}

func (s *Seeder) agent(code string, i int) *appliance.Actor {
	as := s.agents[code]
	if len(as) == 0 {
		return nil
	}
	return as[i%len(as)]
}

func (s *Seeder) register(ctx context.Context, l *Letter, st *Stats) error {
	in := appliance.RegisterInput{
		Category: l.Category, Subject: l.Subject, Body: l.Body, LetterDate: l.LetterDate, ArrivalDate: l.ArrivalDate,
		Priority: l.Priority, Channel: l.Channel, DoctypeID: s.doctypes[l.Doctype], EntityID: s.entities[l.Entity],
		Confidential: l.Confidential,
	}
	if l.Assign {
		if a := s.agent(l.Entity, l.Index); a != nil {
			in.AssigneeID = a.ID()
		}
	}
	if l.CopyEntity != "" {
		in.Copies = []domain.Copy{{Kind: "entity", Ref: s.entities[l.CopyEntity]}}
	}
	c := l.Correspondent
	newSender := false
	switch {
	case c == nil:
	case l.Category == domain.Outgoing:
		id, err := s.contact(ctx, c)
		if err != nil {
			return err
		}
		in.RecipientID = id
	default:
		if id, ok := s.contacts.Load(c.Key); ok {
			in.Sender = &appliance.ContactInput{ID: id.(string)}
		} else {
			in.Sender = contactInput(c)
			newSender = true
		}
	}
	// The mail room registers; only an administrator (or the assignee)
	// may act on a confidential letter afterwards.
	actor := s.mailroom
	if l.Confidential || actor == nil {
		actor = s.admin
	}
	var uploads []appliance.Upload
	if s.Documents {
		uploads = append(uploads, appliance.Upload{Name: fmt.Sprintf("courrier-%d.pdf", l.Index), Role: domain.DocMain, Body: bytes.NewReader(Scan(*l))})
	}
	letter, err := s.Svc.RegisterLetter(ctx, actor, in, uploads...)
	if err != nil {
		return fmt.Errorf("enregistrement: %w", err)
	}
	if newSender && letter.SenderID != "" {
		s.contacts.LoadOrStore(c.Key, letter.SenderID)
	}
	entity := l.Entity
	if l.RedirectTo != "" {
		if _, err := s.Svc.Redirect(ctx, actor, letter.ID, appliance.RedirectInput{EntityID: s.entities[l.RedirectTo], Note: l.RedirectNote}); err != nil {
			return fmt.Errorf("redirection: %w", err)
		}
		entity = l.RedirectTo
		atomic.AddInt64(&st.Redirects, 1)
	}
	// The service's agent annotates and closes; letters nobody routed yet
	// stay with the mail room.
	worker := actor
	if a := s.agent(entity, l.Index); a != nil && !l.Confidential && entity != "" {
		worker = a
	}
	for _, text := range l.Notes {
		if _, err := s.Svc.AddNote(ctx, worker, letter.ID, appliance.NoteInput{Text: text}); err != nil {
			return fmt.Errorf("annotation: %w", err)
		}
		atomic.AddInt64(&st.Notes, 1)
	}
	if l.Close {
		if _, err := s.Svc.Close(ctx, worker, letter.ID, l.CloseNote); err != nil {
			return fmt.Errorf("clôture: %w", err)
		}
		atomic.AddInt64(&st.Closes, 1)
	}
	return nil
}

// contact returns the id of the contact for c, creating it the first time.
func (s *Seeder) contact(ctx context.Context, c *Contact) (string, error) {
	if id, ok := s.contacts.Load(c.Key); ok {
		return id.(string), nil
	}
	if c.Email != "" {
		if found, err := s.Svc.ContactByEmail(ctx, s.admin, c.Email); err == nil {
			s.contacts.LoadOrStore(c.Key, found.ID)
			return found.ID, nil
		}
	}
	created, err := s.Svc.CreateContact(ctx, s.mailroomOrAdmin(), *contactInput(c))
	if err != nil {
		// Another worker created it between the lookup and now.
		if found, ferr := s.Svc.ContactByEmail(ctx, s.admin, c.Email); c.Email != "" && ferr == nil {
			s.contacts.LoadOrStore(c.Key, found.ID)
			return found.ID, nil
		}
		return "", fmt.Errorf("contact %s: %w", c.Name(), err)
	}
	id, _ := s.contacts.LoadOrStore(c.Key, created.ID)
	return id.(string), nil
}

func (s *Seeder) mailroomOrAdmin() *appliance.Actor {
	if s.mailroom != nil {
		return s.mailroom
	}
	return s.admin
}

func contactInput(c *Contact) *appliance.ContactInput {
	return &appliance.ContactInput{Kind: string(c.Kind), Civility: c.Civility, FirstName: c.FirstName, LastName: c.LastName,
		Organization: c.Organization, Email: c.Email, Address: c.Address, Postcode: c.Postcode, City: c.City}
}

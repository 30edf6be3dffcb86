// Package devseed makes realistic data for developers and benchmarks: the
// letters a French town hall receives over two years (Generator), the
// organisation that handles them and the loop that registers them through
// the real write path (Seeder), and an HTTP load generator against a running
// server (RunLoad). A figure measured on a few identical letters says
// nothing about a town's year of mail: search indexes, perimeters and
// contact reuse only behave as in production on varied data, so this
// package works hard at variety while staying deterministic for a seed.
package devseed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/store"
)

// Contact is a correspondent: a citizen, a firm, an association or a public
// body. Key is stable across letters, so that the seeder reuses the contact
// the first letter of the same correspondent created, as the mail room
// would pick it in the address book.
type Contact struct {
	Key          string
	Kind         domain.ContactKind
	Civility     string
	FirstName    string
	LastName     string
	Organization string
	Email        string
	Address      string
	Postcode     string
	City         string
}

// Name is how the contact signs.
func (c *Contact) Name() string {
	dc := domain.Contact{FirstName: c.FirstName, LastName: c.LastName, Organization: c.Organization, Email: c.Email}
	return dc.DisplayName()
}

// Letter is one generated letter and what happens to it after registration.
// Entity, doctype and redirect targets are codes; the seeder resolves them.
type Letter struct {
	Index        int
	Theme        string
	Category     domain.Category
	Subject      string
	Body         string
	LetterDate   string
	ArrivalDate  string
	Priority     domain.Priority
	Channel      domain.Channel
	Doctype      string
	Entity       string // "" leaves the letter to the mail room to qualify
	Assign       bool   // to an agent of Entity
	CopyEntity   string
	Confidential bool
	// Correspondent is the sender of an incoming letter and the recipient
	// of an outgoing one; nil for an internal note.
	Correspondent *Contact

	RedirectTo   string
	RedirectNote string
	Notes        []string
	Close        bool
	CloseNote    string
}

// Options of a generator.
type Options struct {
	Seed uint64
	// Today ends the two years over which arrival dates spread.
	Today time.Time
	// Citizens is the size of the population writing to the town hall;
	// 0 means 5000. Letters come mostly from a few of them (see citizen).
	Citizens int
}

// Generator makes letters, deterministically for its options: the i-th
// letter of two generators with the same options is the same.
type Generator struct {
	opt   Options
	r     *rand.Rand
	n     int
	total int // sum of theme weights
	days  []time.Time
}

// History is how far back arrival dates go: two years of mail.
const History = 730

func New(opt Options) *Generator {
	if opt.Citizens <= 0 {
		opt.Citizens = 5000
	}
	if opt.Today.IsZero() {
		opt.Today = time.Now()
	}
	y, m, d := opt.Today.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	g := &Generator{opt: opt, r: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))}
	for _, t := range themes {
		g.total += t.weight
	}
	for i := 0; i < History; i++ {
		g.days = append(g.days, today.AddDate(0, 0, -i))
	}
	return g
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *Generator) theme() *theme {
	n := g.r.IntN(g.total)
	for i := range themes {
		if n < themes[i].weight {
			return &themes[i]
		}
		n -= themes[i].weight
	}
	return &themes[len(themes)-1]
}

// Next returns the next letter.
func (g *Generator) Next() Letter {
	r := g.r
	g.n++
	l := Letter{Index: g.n}
	th := g.theme()
	l.Theme = th.name
	// Drawn in this order: the same seed gives the same letters.
	l.Category = drawCategory(r)
	l.Priority = drawPriority(r)
	if l.Category != domain.Internal {
		l.Correspondent = g.correspondent(th)
	}
	l.Channel = domain.ChannelPaper
	if c := l.Correspondent; c != nil && c.Email != "" {
		switch x := r.Float64(); {
		case x < 0.5:
			l.Channel = domain.ChannelEmail
		case x < 0.62:
			l.Channel = domain.ChannelWeb
		}
	}
	// Paper arrives from Monday to Saturday; e-mail any day.
	var arrival time.Time
	for {
		arrival = pick(r, g.days)
		if l.Channel != domain.ChannelPaper || arrival.Weekday() != time.Sunday {
			break
		}
	}
	l.ArrivalDate = arrival.Format(domain.DateLayout)
	if l.Channel == domain.ChannelPaper {
		l.LetterDate = arrival.AddDate(0, 0, -1-r.IntN(5)).Format(domain.DateLayout)
	} else {
		l.LetterDate = l.ArrivalDate
	}
	x := &expander{g: g, r: r, at: arrival, c: l.Correspondent, vals: map[string]string{}}
	switch l.Category {
	case domain.Incoming:
		l.Subject = x.expand(pick(r, th.subjects))
		l.Body = x.incomingBody(th, l.Channel)
		l.Doctype = th.doctype
		// A third of the mail waits for the mail room to route it.
		if r.Float64() < 0.7 {
			l.Entity = th.entity
			l.Assign = r.Float64() < 0.35
		}
	case domain.Outgoing:
		l.Subject = x.expand(pick(r, th.replies))
		l.Body = x.outgoingBody(th)
		l.Doctype = "COURRIER"
		l.Entity = th.entity
	case domain.Internal:
		// Notes between services belong to no citizen's business.
		th = &internalTheme
		l.Theme = th.name
		l.Subject = x.expand(pick(r, th.subjects))
		l.Body = x.expand(pick(r, th.bodies))
		l.Entity = pick(r, themes).entity
	}
	if l.Entity != "" && r.Float64() < 0.1 {
		l.CopyEntity = pick(r, []string{"CABINET", "DGS"})
	}
	l.Confidential = (th.name == "CCAS" || th.name == "ressources humaines") && l.Entity != "" && r.Float64() < 0.3
	g.followUps(&l, th, x, arrival)
	return l
}

// drawCategory draws a letter's category: most mail comes in.
func drawCategory(r *rand.Rand) domain.Category {
	switch x := r.Float64(); {
	case x < 0.85:
		return domain.Incoming
	case x < 0.95:
		return domain.Outgoing
	default:
		return domain.Internal
	}
}

// drawPriority draws a letter's priority: mostly normal, rarely urgent.
func drawPriority(r *rand.Rand) domain.Priority {
	switch x := r.Float64(); {
	case x < 0.12:
		return domain.PriorityLow
	case x < 0.85:
		return domain.PriorityNormal
	case x < 0.97:
		return domain.PriorityHigh
	default:
		return domain.PriorityUrgent
	}
}

// followUps decides what happened to the letter since it arrived: old
// letters are mostly closed, recent ones mostly open, a few were sent to
// the wrong service first.
func (g *Generator) followUps(l *Letter, th *theme, x *expander, arrival time.Time) {
	r := g.r
	age := g.days[0].Sub(arrival).Hours() / 24
	switch {
	case l.Entity == "" && l.Category == domain.Incoming && age > 7:
		// The mail room has routed what it left unrouted at registration.
		l.RedirectTo, l.RedirectNote = th.entity, "Pour attribution."
	case l.Entity != "" && r.Float64() < 0.12:
		for l.RedirectTo == "" || l.RedirectTo == l.Entity {
			l.RedirectTo = pick(r, themes).entity
		}
		l.RedirectNote = pick(r, redirectNotes)
	}
	switch x := r.Float64(); {
	case x < 0.1:
		l.Notes = []string{pick(r, th.notes), pick(r, th.notes)}
	case x < 0.35:
		l.Notes = []string{pick(r, th.notes)}
	}
	p := 0.15
	switch {
	case l.Category == domain.Outgoing:
		p = 0.7
	case age > 60:
		p = 0.85
	case age > 15:
		p = 0.5
	}
	if r.Float64() < p {
		l.Close = true
		l.CloseNote = x.expand(pick(r, th.closes))
	}
}

// correspondent picks who writes: organisations for the themes that are
// their business, otherwise a citizen.
func (g *Generator) correspondent(th *theme) *Contact {
	r := g.r
	if r.Float64() >= th.orgs {
		return g.citizen(g.citizenIndex())
	}
	switch {
	case th.name == "administration":
		i := r.IntN(len(publicBodies))
		b := publicBodies[i]
		return &Contact{Key: "b" + strconv.Itoa(i), Kind: domain.ContactOrganization, Organization: b.name, Email: b.email}
	case th.assoc:
		i := r.IntN(len(associations))
		c := &Contact{Key: "a" + strconv.Itoa(i), Kind: domain.ContactOrganization, Organization: associations[i], City: "Saint-Laurent-sur-Saône", Postcode: "01750"}
		if i%3 != 0 {
			c.Email = mailbox(associations[i]) + "@" + pick(r, []string{"gmail.com", "orange.fr", "laposte.net"})
		}
		return c
	}
	return g.firm(r.IntN(400))
}

// citizenIndex is skewed towards low indices: a few residents write every
// month, most once in two years, as a town hall's address book shows.
func (g *Generator) citizenIndex() int {
	return int(float64(g.opt.Citizens) * math.Pow(g.r.Float64(), 2.5))
}

// citizen i is the same person whichever letter draws it: it has its own
// random source derived from the seed and i.
func (g *Generator) citizen(i int) *Contact {
	r := rand.New(rand.NewPCG(g.opt.Seed, uint64(i)+1))
	c := &Contact{Key: "p" + strconv.Itoa(i), Kind: domain.ContactPerson, Civility: pick(r, civilities),
		FirstName: pick(r, firstNames), LastName: pick(r, lastNames)}
	c.Address = strconv.Itoa(1+r.IntN(120)) + " " + pick(r, streets)
	c.Postcode, c.City = "01750", "Saint-Laurent-sur-Saône"
	if r.Float64() < 0.15 {
		c.Postcode, c.City = "71000", "Mâcon"
	}
	if r.Float64() < 0.7 {
		f, l := mailbox(c.FirstName), mailbox(c.LastName)
		var local string
		// The index makes each address unique to its person: two "Jean
		// Martin" are two contacts, as in life.
		switch i % 4 {
		case 0:
			local = f + "." + l + strconv.Itoa(i)
		case 1:
			local = f[:1] + l + strconv.Itoa(i)
		case 2:
			local = l + "." + f + strconv.Itoa(i)
		default:
			local = f + "-" + l + "." + strconv.Itoa(i)
		}
		c.Email = local + "@" + pick(r, mailDomains)
	}
	return c
}

func (g *Generator) firm(i int) *Contact {
	r := rand.New(rand.NewPCG(g.opt.Seed^0xf1f1, uint64(i)+1))
	last := pick(r, lastNames)
	name := fmt.Sprintf(pick(r, companyForms), last)
	c := &Contact{Key: "f" + strconv.Itoa(i), Kind: domain.ContactOrganization, Organization: name,
		Address: "ZA " + pick(r, []string{"des Bruyères", "du Pré-Long", "de la Gare", "Les Platières"}), Postcode: "01750", City: "Saint-Laurent-sur-Saône"}
	if r.Float64() < 0.8 {
		c.Email = pick(r, []string{"contact", "accueil", "devis", "secretariat"}) + "@" + mailbox(last) + strconv.Itoa(i) + ".fr"
	}
	return c
}

// mailbox folds a name into what people put before the @.
func mailbox(s string) string {
	var b strings.Builder
	for _, r := range store.Fold(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "contact"
	}
	return b.String()
}

// expander fills a letter's templates; a placeholder keeps its value
// within the letter, so the subject's street is the body's street.
type expander struct {
	g    *Generator
	r    *rand.Rand
	at   time.Time
	c    *Contact
	vals map[string]string
}

func (x *expander) value(key string) string {
	if v, ok := x.vals[key]; ok {
		return v
	}
	r := x.r
	var v string
	switch key {
	case "rue":
		v = pick(r, streets)
	case "num":
		v = strconv.Itoa(1 + r.IntN(150))
	case "quartier":
		v = pick(r, quarters)
	case "ecole":
		v = pick(r, schools)
	case "enfant":
		v = pick(r, firstNames)
	case "date":
		v = drafts.FrenchDate(x.at.AddDate(0, 0, r.IntN(90)-45))
	case "mois":
		v = months[x.at.AddDate(0, -1, 0).Month()-1]
	case "annee":
		v = strconv.Itoa(x.at.Year())
	case "parcelle":
		v = fmt.Sprintf("%c%c %d", 'A'+rune(r.IntN(8)), 'B'+rune(r.IntN(20)), 1+r.IntN(900))
	case "montant":
		v = pick(r, amounts)
	case "marche":
		v = pick(r, contractObjects)
	case "nom":
		v = "Martin"
		if x.c != nil && x.c.LastName != "" {
			v = x.c.LastName
		}
	default:
		v = "{" + key + "}"
	}
	x.vals[key] = v
	return v
}

func (x *expander) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(x.value(s[i+1 : i+j]))
		s = s[i+j+1:]
	}
}

func (x *expander) incomingBody(th *theme, ch domain.Channel) string {
	r := x.r
	greet, closing := pick(r, paperGreetings), pick(r, paperClosings)
	if ch != domain.ChannelPaper {
		greet, closing = pick(r, mailGreetings), pick(r, mailClosings)
	}
	parts := []string{greet}
	// One to three distinct paragraphs, in the theme's order.
	start := r.IntN(len(th.bodies))
	n := 1 + r.IntN(min(3, len(th.bodies)))
	for k := 0; k < n; k++ {
		parts = append(parts, x.expand(th.bodies[(start+k)%len(th.bodies)]))
	}
	sign := ""
	if x.c != nil {
		sign = x.c.Name()
		if x.c.Address != "" {
			sign += "\n" + x.c.Address + "\n" + x.c.Postcode + " " + x.c.City
		}
	}
	parts = append(parts, closing+"\n\n"+sign)
	return strings.Join(parts, "\n\n")
}

func (x *expander) outgoingBody(th *theme) string {
	r := x.r
	greet := "Madame, Monsieur,"
	if x.c != nil && x.c.Kind == domain.ContactPerson {
		greet = map[string]string{"M.": "Monsieur,", "Mme": "Madame,"}[x.c.Civility]
	}
	return strings.Join([]string{
		greet,
		x.expand("J'ai bien reçu votre courrier du {date} et j'ai le plaisir de vous apporter les éléments de réponse suivants."),
		x.expand(pick(r, th.closes)),
		"Le service reste à votre disposition pour tout renseignement complémentaire.",
		"Je vous prie d'agréer, " + strings.TrimSuffix(greet, ",") + ", l'expression de mes salutations distinguées.\n\nLe Maire",
	}, "\n\n")
}

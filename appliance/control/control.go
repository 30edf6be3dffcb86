// Package control owns the administration socket: DATA/control.sock, a unix
// socket only the service account can open, through which `missive user …`
// and `missive token create` reach a running server. The same operations run
// in-process when no server is running, so both paths share one code.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// SocketName is the socket's file name in the data dir.
const SocketName = "control.sock"

// Request is one administration operation.
type Request struct {
	Op       string   `json:"op"` // user.add, user.list, user.passwd, token.create, token.list, token.revoke, tenant.show, tenant.set…
	Tenant   string   `json:"tenant"`
	Login    string   `json:"login,omitempty"`
	Name     string   `json:"name,omitempty"`
	Email    string   `json:"email,omitempty"`
	Role     string   `json:"role,omitempty"`
	Password string   `json:"password,omitempty"`
	Entities []string `json:"entities,omitempty"` // entity codes
	Manager  bool     `json:"manager,omitempty"`
	// TokenID names a token to revoke; Expires is a new token's last day.
	TokenID string `json:"token_id,omitempty"`
	Expires string `json:"expires,omitempty"`
	// Mail carries the mail.* operations' fields (mail.go).
	Mail *MailRequest `json:"mail,omitempty"`
	// GED carries the ged.* and onlyoffice.* operations' fields (ged.go).
	GED *GEDRequest `json:"ged,omitempty"`
	// DAV carries the dav.* operations' fields (dav.go).
	DAV *DAVRequest `json:"dav,omitempty"`
	// TenantSet carries tenant.set's fields (tenant.go).
	TenantSet *TenantRequest `json:"tenant_set,omitempty"`
	// Ext carries the fields of an operation served by a Handler that the
	// binary registers (backup.*): the appliance does not know them.
	Ext json.RawMessage `json:"ext,omitempty"`
	// Cluster carries the cluster.* operations' fields.
	Cluster *ClusterRequest `json:"cluster,omitempty"`
}

// ClusterRequest carries the cluster's operations (missive cluster …),
// served by the Handler the binary registers for "cluster.": the cluster
// package answers them, this one does not know it.
type ClusterRequest struct {
	// Node names the node to promote, demote or remove (id or address).
	Node string `json:"node,omitempty"`
	// NonVoter makes a token admit a non-voting node.
	NonVoter bool `json:"nonvoter,omitempty"`
	// TTL is how long a token stays valid ("24h").
	TTL string `json:"ttl,omitempty"`
	// JSON asks for the status as JSON.
	JSON bool `json:"json,omitempty"`
	// Repair makes a check fetch missing or altered documents again.
	Repair bool `json:"repair,omitempty"`
}

// Response carries the text to print, or an error.
type Response struct {
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	// Code is the process exit code the CLI should use on error.
	Code int `json:"code,omitempty"`
	// Event is an intermediate message of a long operation (progress):
	// the client hands it over and reads on until a response without one.
	Event json.RawMessage `json:"event,omitempty"`
}

// Handler serves operations outside the appliance (backup.*), registered
// by the binary with Server.Handle. emit sends an Event to the client.
type Handler func(ctx context.Context, req Request, emit func(event any)) Response

// Run performs an operation as Missive's system actor of the tenant.
func Run(ctx context.Context, svc service, req Request) Response {
	return Respond(run(ctx, svc, req))
}

// Respond turns an operation's outcome into a response with its exit code;
// Handlers registered by the binary answer through it too.
func Respond(out string, err error) Response {
	if err != nil {
		code := 1
		var fe appliance.FieldErrors
		switch {
		case errors.As(err, &fe), errors.Is(err, appliance.ErrInvalid):
			code = 2
		case errors.Is(err, appliance.ErrNotFound):
			code = 3
		case errors.Is(err, appliance.ErrConflict):
			code = 4
		case !errors.Is(err, appliance.ErrPending) && appliance.IsUnavailable(err):
			return Response{Error: "service momentanément indisponible : " + appliance.UnavailableReason(err) + " ; rien n'a été fait, réessayez dans un instant (" + err.Error() + ")", Code: code}
		}
		return Response{Error: err.Error(), Code: code}
	}
	return Response{Output: out}
}

func run(ctx context.Context, svc service, req Request) (string, error) {
	if req.Tenant == "" {
		req.Tenant = "default"
	}
	sys, err := svc.SystemActor(ctx, req.Tenant)
	if err != nil {
		return "", fmt.Errorf("commune %q: %w", req.Tenant, err)
	}
	switch req.Op {
	case "user.add":
		return userAdd(ctx, svc, sys, req)
	case "user.list":
		return userList(ctx, svc, sys)
	case "user.passwd":
		u, err := svc.UserByLogin(ctx, sys, req.Login)
		if err != nil {
			return "", err
		}
		if err := svc.SetPassword(ctx, sys, u.ID, req.Password); err != nil {
			return "", err
		}
		return "Mot de passe de " + u.Login + " changé.\n", nil
	case "history.checkpoint":
		seq, made, err := svc.Checkpoint(ctx)
		switch {
		case err != nil:
			return "", err
		case !made:
			return fmt.Sprintf("Rien de nouveau depuis le dernier point de contrôle (entrée n° %d).\n", seq), nil
		}
		return fmt.Sprintf("Point de contrôle signé inscrit au journal: entrée n° %d.\n", seq), nil
	case "token.create":
		u, err := svc.UserByLogin(ctx, sys, req.Login)
		if err != nil {
			return "", err
		}
		tok, _, err := svc.IssueToken(ctx, sys, appliance.TokenInput{UserID: u.ID, Name: req.Name, ExpiresOn: req.Expires})
		if err != nil {
			return "", err
		}
		return tok + "\n", nil
	case "token.list":
		return tokenList(ctx, svc, sys, req)
	case "token.revoke":
		t, err := svc.RevokeToken(ctx, sys, req.TokenID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Jeton %s (%s, de %s) révoqué.\n", t.ID, orDash(t.Name), t.UserLogin), nil
	}
	if strings.HasPrefix(req.Op, "mail.") {
		return runMail(ctx, svc, sys, req)
	}
	if strings.HasPrefix(req.Op, "ged.") || strings.HasPrefix(req.Op, "onlyoffice.") {
		return runGED(ctx, svc, sys, req)
	}
	if strings.HasPrefix(req.Op, "dav.") {
		return runDAV(ctx, svc, sys, req)
	}
	if strings.HasPrefix(req.Op, "tenant.") {
		return runTenant(ctx, svc, sys, req)
	}
	return "", fmt.Errorf("%w: opération %q inconnue", appliance.ErrInvalid, req.Op)
}

// userAdd creates a user with the entities named by code, generating a
// password (printed once) when none is given.
func userAdd(ctx context.Context, svc service, sys *appliance.Actor, req Request) (string, error) {
	var ms []domain.Membership
	for _, code := range req.Entities {
		e, err := svc.EntityByCode(ctx, sys, code)
		if err != nil {
			return "", fmt.Errorf("entité %q: %w", code, err)
		}
		ms = append(ms, domain.Membership{EntityID: e.ID, Manager: req.Manager})
	}
	generated := req.Password == ""
	if generated {
		req.Password = appliance.GeneratePassword()
	}
	if req.Name == "" {
		req.Name = req.Login
	}
	u, err := svc.CreateUser(ctx, sys, appliance.UserInput{Login: req.Login, Name: req.Name, Email: req.Email, Role: domain.Role(req.Role), Password: req.Password, Entities: ms})
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("Utilisateur %s créé (rôle %s).\n", u.Login, u.Role)
	if generated {
		out += "Mot de passe: " + req.Password + "\n"
	}
	return out, nil
}

// userList prints the tenant's users, one a line.
func userList(ctx context.Context, svc service, sys *appliance.Actor) (string, error) {
	us, err := svc.Users(ctx, sys)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s %-10s %-8s %s\n", "IDENTIFIANT", "RÔLE", "ÉTAT", "NOM")
	for _, u := range us {
		state := "actif"
		if u.Disabled {
			state = "désactivé"
		}
		fmt.Fprintf(&b, "%-20s %-10s %-8s %s\n", u.Login, u.Role, state, u.Name)
	}
	return b.String(), nil
}

// tokenList prints the API tokens of a user, or of every user.
func tokenList(ctx context.Context, svc service, sys *appliance.Actor, req Request) (string, error) {
	userID := ""
	if req.Login != "" {
		u, err := svc.UserByLogin(ctx, sys, req.Login)
		if err != nil {
			return "", err
		}
		userID = u.ID
	}
	ts, err := svc.Tokens(ctx, sys, userID)
	if err != nil {
		return "", err
	}
	now := svc.Clock().UTC().Format(domain.TimeLayout)
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %-16s %-9s %-20s %-20s %s\n", "ID", "UTILISATEUR", "ÉTAT", "CRÉÉ LE", "EXPIRE", "LIBELLÉ")
	for _, t := range ts {
		state := "actif"
		switch {
		case t.Revoked:
			state = "révoqué"
		case !t.Live(now):
			state = "expiré"
		}
		fmt.Fprintf(&b, "%-26s %-16s %-9s %-20s %-20s %s\n", t.ID, t.UserLogin, state, shortTime(t.CreatedAt), orDash(shortTime(t.ExpiresAt)), orDash(t.Name))
	}
	return b.String(), nil
}

// shortTime shows a stored instant in Paris time, to the minute.
func shortTime(s string) string {
	t, err := time.Parse(domain.TimeLayout, s)
	if err != nil {
		return s
	}
	return t.In(domain.Paris).Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Server answers requests on the control socket.
type Server struct {
	ln       net.Listener
	svc      service
	log      *slog.Logger
	handlers map[string]Handler
}

// Handle serves the operations whose name starts with prefix (e.g.
// "backup."). Call it before Serve.
func (s *Server) Handle(prefix string, h Handler) {
	if s.handlers == nil {
		s.handlers = map[string]Handler{}
	}
	s.handlers[prefix] = h
}

// longOps bounds an operation served by a Handler: a backup of a town's
// documents to a slow share may take hours.
const longOps = 24 * time.Hour

// Listen creates DATA/control.sock, readable by the owner only: whoever can
// open it is trusted as the data dir's owner.
func Listen(dataDir string, svc service, log *slog.Logger) (*Server, error) {
	p := filepath.Join(dataDir, SocketName)
	os.Remove(p) // a stale socket from a crash; the data dir lock is already ours
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", p, err)
	}
	// The data dir is 0750 already; this closes the socket to the group too.
	if err := os.Chmod(p, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("protect control socket: %w", err)
	}
	return &Server{ln: ln, svc: svc, log: log}, nil
}

// Serve handles connections until Close.
func (s *Server) Serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *Server) handle(c net.Conn) {
	defer c.Close()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("control request panicked", "panic", r)
		}
	}()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	var req Request
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		json.NewEncoder(c).Encode(Response{Error: "requête illisible: " + err.Error(), Code: 2})
		return
	}
	var resp Response
	if h := s.handler(req.Op); h != nil {
		c.SetDeadline(time.Now().Add(longOps))
		enc := json.NewEncoder(c)
		resp = h(context.Background(), req, func(ev any) {
			b, err := json.Marshal(ev)
			if err == nil {
				enc.Encode(Response{Event: b})
			}
		})
	} else {
		resp = Run(context.Background(), s.svc, req)
	}
	s.log.Info("control request", "op", req.Op, "tenant", req.Tenant, "login", req.Login, "ok", resp.Error == "")
	json.NewEncoder(c).Encode(resp)
}

func (s *Server) handler(op string) Handler {
	for prefix, h := range s.handlers {
		if strings.HasPrefix(op, prefix) {
			return h
		}
	}
	return nil
}

func (s *Server) Close() error {
	return s.ln.Close()
}

// ErrNoServer means no server listens on the data dir's socket.
var ErrNoServer = errors.New("aucun serveur missive en marche sur ce dossier")

// Call sends a request to the running server of dataDir.
func Call(dataDir string, req Request) (Response, error) {
	return CallStream(dataDir, req, nil)
}

// CallStream is Call for a long operation: onEvent receives each
// intermediate message until the response.
func CallStream(dataDir string, req Request, onEvent func(json.RawMessage)) (Response, error) {
	p := filepath.Join(dataDir, SocketName)
	c, err := net.DialTimeout("unix", p, 2*time.Second)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return Response{}, ErrNoServer
		}
		return Response{}, fmt.Errorf("connect to %s: %w", p, err)
	}
	defer c.Close()
	if onEvent != nil {
		c.SetDeadline(time.Now().Add(longOps))
	} else {
		c.SetDeadline(time.Now().Add(2 * time.Minute))
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return Response{}, err
	}
	dec := json.NewDecoder(c)
	for {
		var resp Response
		if err := dec.Decode(&resp); err != nil {
			return Response{}, fmt.Errorf("read control response: %w", err)
		}
		if resp.Event == nil {
			return resp, nil
		}
		if onEvent != nil {
			onEvent(resp.Event)
		}
	}
}

package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"missive/appliance"

	"github.com/hashicorp/raft"
)

// Joining. A running node prints a token (`missive cluster token`): a
// one-time secret, whose hash the cluster records through a command, and
// the SHA-256 of the cluster CA's certificate, so that the new node
// checks whom it talks to before it has a certificate of its own
// (kubeadm's discovery hash). The new node opens the join service of any
// member, which redirects it to the leader; the leader uses the token (a
// command: once cluster-wide, before it expires), signs the new node's
// public key, adds it to raft as a non-voter and answers with the
// certificate, the CA and secrets.key. The new node asks to vote once it
// has caught up (members.go).

const tokenPrefix = "v1"

// newToken makes a join token for a CA, and the hash the cluster records.
func newToken(caDER []byte) (token, hash string) {
	b := make([]byte, 20)
	rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	return tokenPrefix + "." + secret + "." + pin(caDER), tokenHash(secret)
}

func tokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// errBadToken is a token that is not one `missive cluster token` printed.
var errBadToken = errors.New("jeton d'adhésion mal formé: copiez la dernière ligne affichée par « missive cluster token »")

func parseToken(tok string) (secret, caPin string, err error) {
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 || parts[0] != tokenPrefix || len(parts[1]) != 27 || len(parts[2]) != 43 {
		return "", "", errBadToken
	}
	return parts[1], parts[2], nil
}

type joinRequest struct {
	Token     string `json:"token"`
	Node      string `json:"node"`
	Address   string `json:"address"`
	PublicKey []byte `json:"public_key"`
}

type joinReply struct {
	Err      *wireError `json:"err,omitempty"`
	Redirect string     `json:"redirect,omitempty"`
	Cert     []byte     `json:"cert,omitempty"`
	CA       []byte     `json:"ca,omitempty"`
	CAKey    []byte     `json:"ca_key,omitempty"`
	Secrets  []byte     `json:"secrets,omitempty"`
	Voter    bool       `json:"voter,omitempty"`
}

// enroll joins the cluster at cfg.Join: it writes DATA/secrets.key, the
// CA and this node's certificate. It follows redirects to the leader and
// retries while the cluster has none.
func enroll(ctx context.Context, cfg Config, dir, nodeID, addr string) (*state, error) {
	secret, caPin, err := parseToken(cfg.Token)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	d := &dialer{dial: cfg.Dial, tls: &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Checked by VerifyConnection against the token's CA instead.
		InsecureSkipVerify: true,
		VerifyConnection:   verifyPinned(caPin),
	}}
	req := &joinRequest{Token: secret, Node: nodeID, Address: addr, PublicKey: pub}
	target := cfg.Join
	var r *joinReply
	for hops := 0; ; {
		r, err = askJoin(ctx, d, target, req)
		switch {
		case err == nil && r.Redirect != "" && hops < 5:
			cfg.Log.Info("join: redirected to the leader", "from", target, "leader", r.Redirect)
			target, hops = r.Redirect, hops+1
			continue
		case err == nil && r.Err == nil && r.Redirect == "":
		case err == nil && r.Err != nil && r.Err.Code != codeUnavailable && r.Err.Code != codeNotLeader:
			return nil, fmt.Errorf("adhésion refusée par %s: %w", target, r.Err.err())
		default:
			if err == nil {
				err = r.Err.err()
			}
			if errors.Is(err, ErrWrongCluster) {
				return nil, err
			}
			cfg.Log.Warn("join: not yet, trying again", "node", target, "err", err)
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("rejoindre le cluster par %s: %w", target, err)
			case <-time.After(time.Second):
			}
			target = cfg.Join
			continue
		}
		break
	}
	if err := writeFileAtomic(filepath.Join(cfg.DataDir, appliance.SecretKeyFile), r.Secrets); err != nil {
		return nil, err
	}
	box, err := appliance.NewSecretBox(r.Secrets)
	if err != nil {
		return nil, err
	}
	if err := savePKI(dir, box, r.CA, r.CAKey, r.Cert, key); err != nil {
		return nil, err
	}
	st := &state{Address: addr, Joined: true, PendingVoter: r.Voter}
	return st, st.save(dir)
}

func askJoin(ctx context.Context, d *dialer, target string, req *joinRequest) (*joinReply, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := d.open(cctx, target, serviceJoin)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, err
	}
	var r joinReply
	if err := json.NewDecoder(io.LimitReader(c, 1<<20)).Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ErrWrongCluster: the node a joiner reached is not of its token's cluster.
var ErrWrongCluster = errors.New("le nœud contacté ne présente pas l'autorité du cluster du jeton: mauvaise adresse --join, ou jeton d'un autre cluster")

// verifyPinned accepts a server whose chain holds the CA of the token's
// fingerprint and whose certificate that CA issued.
func verifyPinned(caPin string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return ErrWrongCluster
		}
		for _, c := range cs.PeerCertificates[1:] {
			if !c.IsCA || pin(c.Raw) != caPin {
				continue
			}
			roots := x509.NewCertPool()
			roots.AddCert(c)
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: serverName})
			if err == nil {
				return nil
			}
		}
		return ErrWrongCluster
	}
}

// serveJoin answers one join request.
func (n *Node) serveJoin(c net.Conn, _ string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	var req joinRequest
	if err := json.NewDecoder(io.LimitReader(c, 64<<10)).Decode(&req); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := n.admitNode(ctx, &req)
	if err != nil {
		n.cfg.Log.Warn("join refused", "node", req.Node, "address", req.Address, "remote", c.RemoteAddr(), "err", err)
		r = &joinReply{Err: toWire(err)}
	}
	json.NewEncoder(c).Encode(r)
}

// admitNode is the leader's side of a join; a follower redirects.
func (n *Node) admitNode(ctx context.Context, req *joinRequest) (*joinReply, error) {
	if err := n.writable(); err != nil {
		return nil, err
	}
	if req.Node == "" || len(req.Node) > 64 || sanitize(req.Node) != req.Node {
		return nil, fmt.Errorf("%w: identifiant de nœud invalide %q", appliance.ErrInvalid, req.Node)
	}
	if err := checkAddress(req.Address); err != nil {
		return nil, fmt.Errorf("%w: %v", appliance.ErrInvalid, err)
	}
	pub, err := x509.ParsePKIXPublicKey(req.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: clé publique illisible", appliance.ErrInvalid)
	}
	if n.raft.State() != raft.Leader {
		addr, _ := n.raft.LeaderWithID()
		if addr == "" {
			return nil, fmt.Errorf("%w: pas de leader pour l'instant", appliance.ErrUnavailable)
		}
		return &joinReply{Redirect: string(addr)}, nil
	}
	svc := n.services()
	if svc == nil {
		return nil, fmt.Errorf("%w: nœud en cours de démarrage", appliance.ErrUnavailable)
	}
	// A node id already in the configuration is a copied data dir (or a
	// joiner that crashed half-way): adding it again would readdress
	// another node.
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, raftError(err)
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == req.Node {
			return nil, fmt.Errorf("%w: un nœud %s est déjà dans le cluster (dossier de données copié?): videz le dossier de données du nouveau nœud, il prendra un autre identifiant", appliance.ErrConflict, req.Node)
		}
	}
	m, err := svc.UseJoinToken(ctx, tokenHash(req.Token), req.Node, req.Address)
	if err != nil {
		return nil, err
	}
	cert, err := n.pki.issue(req.Node, pub)
	if err != nil {
		return nil, fmt.Errorf("issue certificate for %s: %w", req.Node, err)
	}
	caKey, err := x509.MarshalPKCS8PrivateKey(n.pki.caKey)
	if err != nil {
		return nil, err
	}
	secrets, err := os.ReadFile(filepath.Join(n.cfg.DataDir, appliance.SecretKeyFile))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", appliance.SecretKeyFile, err)
	}
	// A non-voter first, whatever the token says: it does not count in the
	// quorum until it has caught up and asks to vote.
	if err := n.raft.AddNonvoter(raft.ServerID(req.Node), raft.ServerAddress(req.Address), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return nil, raftError(err)
	}
	n.cfg.Log.Info("node joined the cluster", "node", req.Node, "address", req.Address, "voter", m.Voter)
	return &joinReply{Cert: cert, CA: n.pki.ca.Raw, CAKey: caKey, Secrets: secrets, Voter: m.Voter}, nil
}

// checkAddress accepts a host:port that other nodes can dial.
func checkAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return fmt.Errorf("adresse de cluster invalide %q: attendu hôte:port, ex. 10.0.0.5:7000", addr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		return fmt.Errorf("adresse de cluster %q: donnez l'adresse par laquelle les autres nœuds joignent celui-ci, pas une adresse générique", addr)
	}
	return nil
}

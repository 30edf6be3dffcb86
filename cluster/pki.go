package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"missive/appliance"
)

// The cluster's own certificate authority. The first node that starts with
// a cluster port creates it; every node that joins receives a certificate
// issued by it, and the CA itself (certificate and key) so that any node
// can admit the next one once it leads. Files, in DATA/cluster:
//
//	ca.crt          the CA certificate (PEM)
//	ca.key.sealed   its private key, sealed with DATA/secrets.key (0600)
//	node.crt        this node's certificate (PEM), common name = node id
//	node.key        its private key (PEM, 0600)
const (
	caCertFile = "ca.crt"
	caKeyFile  = "ca.key.sealed"
	certFile   = "node.crt"
	keyFile    = "node.key"
	// serverName is in every node certificate and is what a node checks
	// when it dials another: membership of the CA is the identity that
	// matters, not a host name (sites are often reached by IP).
	serverName = "missive-cluster"
	// sealPurpose binds the sealed CA key to its use (SecretBox).
	sealPurpose = "cluster-ca"
)

// pki is a node's view of the cluster CA.
type pki struct {
	ca    *x509.Certificate
	caKey crypto.Signer
	pool  *x509.CertPool
	// cert is this node's certificate, chained with the CA's so that a
	// joiner can check the CA against the fingerprint in its token.
	cert tls.Certificate
}

// newCA creates a CA certificate and key.
func newCA() (der []byte, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Missive cluster CA", Organization: []string{"Missive"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(30, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	return der, key, err
}

// issue signs a node certificate for pub. Node certificates serve both
// ends of a connection: every node dials and accepts.
func (p *pki) issue(nodeID string, pub crypto.PublicKey) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: nodeID, Organization: []string{"Missive"}},
		DNSNames:     []string{serverName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	return x509.CreateCertificate(rand.Reader, tmpl, p.ca, pub, p.caKey)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// pin is the fingerprint of a CA certificate that a join token carries.
func pin(caDER []byte) string {
	sum := sha256.Sum256(caDER)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// hasPKI says whether DATA/cluster holds a node certificate.
func hasPKI(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, certFile))
	return err == nil
}

// createPKI makes the CA of a new cluster and this node's certificate.
func createPKI(dir, nodeID string, box *appliance.SecretBox) error {
	caDER, caKey, err := newCA()
	if err != nil {
		return fmt.Errorf("create cluster CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	p := &pki{ca: ca, caKey: caKey}
	der, err := p.issue(nodeID, key.Public())
	if err != nil {
		return fmt.Errorf("issue node certificate: %w", err)
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return err
	}
	return savePKI(dir, box, caDER, caKeyDER, der, key)
}

// savePKI writes the CA and the node's certificate and key; the node
// certificate is written last, as hasPKI's witness that all is there.
func savePKI(dir string, box *appliance.SecretBox, caDER, caKeyDER, certDER []byte, key *ecdsa.PrivateKey) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	sealed := box.Seal(sealPurpose, base64.StdEncoding.EncodeToString(caKeyDER))
	for _, f := range []struct {
		name string
		data []byte
	}{
		{caCertFile, pemBlock("CERTIFICATE", caDER)},
		{caKeyFile, []byte(sealed + "\n")},
		{keyFile, pemBlock("PRIVATE KEY", keyDER)},
		{certFile, pemBlock("CERTIFICATE", certDER)},
	} {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// writeFileAtomic writes a 0600 file through a temporary one, so that a
// crash leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// loadPKI reads DATA/cluster.
func loadPKI(dir string, box *appliance.SecretBox) (*pki, error) {
	read := func(name, typ string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != typ {
			return nil, fmt.Errorf("%s: pas de bloc PEM %s", name, typ)
		}
		return blk.Bytes, nil
	}
	caDER, err := read(caCertFile, "CERTIFICATE")
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	sealed, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, fmt.Errorf("cluster CA key: %w", err)
	}
	enc, err := box.Open(sealPurpose, string(trimNL(sealed)))
	if err != nil {
		return nil, fmt.Errorf("cluster CA key: %w", err)
	}
	caKeyDER, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("cluster CA key: %w", err)
	}
	caKey, err := parseKey(caKeyDER)
	if err != nil {
		return nil, fmt.Errorf("cluster CA key: %w", err)
	}
	certDER, err := read(certFile, "CERTIFICATE")
	if err != nil {
		return nil, fmt.Errorf("node certificate: %w", err)
	}
	keyDER, err := read(keyFile, "PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	key, err := parseKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("node certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	p := &pki{ca: ca, caKey: caKey, pool: pool, cert: tls.Certificate{
		Certificate: [][]byte{certDER, caDER}, PrivateKey: key, Leaf: leaf,
	}}
	return p, nil
}

func parseKey(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("clé privée inutilisable")
	}
	return s, nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// serverTLS accepts a client with a certificate of the CA, or without one
// (the join service alone takes those; the mux closes the others). A
// certificate of another CA fails the handshake.
func (p *pki) serverTLS() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{p.cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    p.pool,
	}
}

// clientTLS dials another node: it presents this node's certificate and
// wants one of the same CA.
func (p *pki) clientTLS() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{p.cert},
		RootCAs:      p.pool,
		ServerName:   serverName,
	}
}

// peerID is the node id of a verified peer, "" for a peer without a
// certificate.
func peerID(cs tls.ConnectionState) string {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return cs.VerifiedChains[0][0].Subject.CommonName
}

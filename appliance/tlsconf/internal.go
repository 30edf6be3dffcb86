package tlsconf

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"slices"
	"time"

	"github.com/caddyserver/certmagic"
)

// The local CA of tls = internal lives in Storage beside the certificates
// it signs, so every node of a cluster signs with the same root, the one
// the town pushed to its workstations.
const (
	caCertKey = "missive/ca/root.crt"
	caKeyKey  = "missive/ca/root.key"
	caLockKey = "missive-ca"
)

// ErrNoCA means no local CA was made (tls is not internal).
var ErrNoCA = errors.New("aucune autorité locale: elle est créée par missive quickstart --tls internal")

// InitCA makes the local CA if Storage has none; it never replaces one,
// since workstations trust its root.
func InitCA(ctx context.Context, st Storage, hostname string) error {
	if err := st.Lock(ctx, caLockKey); err != nil {
		return fmt.Errorf("verrou de l'autorité locale: %w", err)
	}
	defer st.Unlock(context.WithoutCancel(ctx), caLockKey)
	if st.Exists(ctx, caCertKey) && st.Exists(ctx, caKeyKey) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Missive - autorité locale de " + hostname, Organization: []string{"Missive"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		// The root can only ever vouch for this one server.
		PermittedDNSDomains: []string{hostname},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := st.Store(ctx, caKeyKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})); err != nil {
		return fmt.Errorf("enregistrer la clé de l'autorité locale: %w", err)
	}
	if err := st.Store(ctx, caCertKey, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return fmt.Errorf("enregistrer le certificat de l'autorité locale: %w", err)
	}
	return nil
}

// CARoot is the PEM root of the local CA, to install on workstations.
func CARoot(ctx context.Context, st Storage) ([]byte, error) {
	b, err := st.Load(ctx, caCertKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoCA
	}
	return b, err
}

func loadCA(ctx context.Context, st Storage) (*x509.Certificate, crypto.Signer, error) {
	cb, err := CARoot(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	kb, err := st.Load(ctx, caKeyKey)
	if err != nil {
		return nil, nil, fmt.Errorf("clé de l'autorité locale: %w", err)
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, nil, errors.New("autorité locale illisible (PEM attendu)")
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kp.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("clé de l'autorité locale: type non pris en charge")
	}
	return cert, signer, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}

// internalIssuer is the certmagic Issuer of tls = internal: certmagic keeps
// the key, the storage and the renewals; the local CA only signs.
type internalIssuer struct {
	storage  Storage
	hostname string
	lifetime time.Duration
}

func (i *internalIssuer) IssuerKey() string { return "missive-internal" }

func (i *internalIssuer) Issue(ctx context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	for _, n := range csr.DNSNames {
		if n != i.hostname {
			return nil, fmt.Errorf("autorité locale: %q n'est pas le nom de ce serveur (%s)", n, i.hostname)
		}
	}
	if len(csr.IPAddresses)+len(csr.EmailAddresses)+len(csr.URIs) > 0 || !slices.Contains(csr.DNSNames, i.hostname) {
		return nil, fmt.Errorf("autorité locale: seul %s peut être certifié", i.hostname)
	}
	ca, key, err := loadCA(ctx, i.storage)
	if err != nil {
		return nil, err
	}
	life := i.lifetime
	if life <= 0 {
		life = 90 * 24 * time.Hour
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: i.hostname},
		DNSNames:     []string{i.hostname},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(life),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, csr.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("autorité locale: signer: %w", err)
	}
	// The root is not sent: a client that trusts it has it already.
	return &certmagic.IssuedCertificate{Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

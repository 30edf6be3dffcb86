package appliance

import (
	"context"
	"missive/appliance/dav"
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/mail"
	"missive/appliance/prefs"
	"missive/appliance/store"
	"time"
)

// The functions of the kernel and the features the outer layers call, as
// functions of the facade (not variables: nothing may reassign them).

// CheckPassword is kernel.CheckPassword.
func CheckPassword(hash string, pw string) bool { return kernel.CheckPassword(hash, pw) }

// HashPassword is kernel.HashPassword.
func HashPassword(pw string) string { return kernel.HashPassword(pw) }

// GeneratePassword is kernel.GeneratePassword.
func GeneratePassword() string { return kernel.GeneratePassword() }

// NewToken is kernel.NewToken.
func NewToken() (token string, hash string) { return kernel.NewToken() }

// TokenHash is kernel.TokenHash.
func TokenHash(token string) string { return kernel.TokenHash(token) }

// NewID is kernel.NewID.
func NewID() string { return kernel.NewID() }

// NewCommand is kernel.NewCommand.
func NewCommand(kind kernel.Kind, tenant string, actor string, at time.Time, payload any) (*kernel.Command, error) {
	return kernel.NewCommand(kind, tenant, actor, at, payload)
}

// HashEntry is kernel.HashEntry.
func HashEntry(h *domain.HistoryEntry) string { return kernel.HashEntry(h) }

// SignHistory is kernel.SignHistory.
func SignHistory(key []byte, what string) string { return kernel.SignHistory(key, what) }

// LetterDigest is kernel.LetterDigest.
func LetterDigest(row *store.LetterRow) string { return kernel.LetterDigest(row) }

// VerifyHistory is kernel.VerifyHistory.
func VerifyHistory(ctx context.Context, r store.Reader, opts ...kernel.VerifyOptions) (kernel.VerifyResult, error) {
	return kernel.VerifyHistory(ctx, r, opts...)
}

// IsSealed is kernel.IsSealed.
func IsSealed(stored string) bool { return kernel.IsSealed(stored) }

// IsUnavailable is kernel.IsUnavailable.
func IsUnavailable(err error) bool { return kernel.IsUnavailable(err) }

// UnavailableReason is kernel.UnavailableReason.
func UnavailableReason(err error) string { return kernel.UnavailableReason(err) }

// WithIdempotency is kernel.WithIdempotency.
func WithIdempotency(ctx context.Context, key string, fingerprint func() string) (context.Context, *kernel.IdemRequest) {
	return kernel.WithIdempotency(ctx, key, fingerprint)
}

// NewSecretBox is kernel.NewSecretBox.
func NewSecretBox(key []byte) (*kernel.SecretBox, error) { return kernel.NewSecretBox(key) }

// OpenSecretBox is kernel.OpenSecretBox.
func OpenSecretBox(dir string) (*kernel.SecretBox, error) { return kernel.OpenSecretBox(dir) }

// ReadSecretBox is kernel.ReadSecretBox.
func ReadSecretBox(dir string) (*kernel.SecretBox, error) { return kernel.ReadSecretBox(dir) }

// ReadSigningAnchor is kernel.ReadSigningAnchor.
func ReadSigningAnchor(dataDir string) (int64, error) { return kernel.ReadSigningAnchor(dataDir) }

// EnsureSigningAnchor is kernel.EnsureSigningAnchor.
func EnsureSigningAnchor(ctx context.Context, dataDir string, r store.Reader) (int64, error) {
	return kernel.EnsureSigningAnchor(ctx, dataDir, r)
}

// DavSafeName is dav.DavSafeName.
func DavSafeName(n string) string { return dav.DavSafeName(n) }

// HostPort is mail.HostPort.
func HostPort(host string, port int) string { return mail.HostPort(host, port) }

// DefaultBaskets is prefs.DefaultBaskets.
func DefaultBaskets(role domain.Role) []prefs.BasketDef { return prefs.DefaultBaskets(role) }

// BuiltinBasket is prefs.BuiltinBasket.
func BuiltinBasket(id string) (prefs.BasketDef, bool) { return prefs.BuiltinBasket(id) }

// DavLetterFolder is dav.DavLetterFolder.
func DavLetterFolder(number string) string { return dav.DavLetterFolder(number) }

package domain

// TLSAsset is one stored key. Value is sealed; Size is the clear value's.
type TLSAsset struct {
	Key        string `json:"key"`
	Value      string `json:"value,omitempty"`
	Size       int64  `json:"size"`
	ModifiedAt string `json:"modified_at"`
}

// TLSLock is a held lock.
type TLSLock struct {
	Name      string
	Owner     string
	ExpiresAt string
}

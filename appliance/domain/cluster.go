package domain

// JoinToken is a join token as the store knows it: its hash only.
type JoinToken struct {
	Hash      string
	Voter     bool
	CreatedAt string
	ExpiresAt string
	UsedBy    string
	UsedAt    string
}

// ClusterMember is a node that joined with a token, or that an
// administrator promoted, demoted or removed.
type ClusterMember struct {
	NodeID    string `json:"node_id"`
	Address   string `json:"address"`
	Voter     bool   `json:"voter"`
	Removed   bool   `json:"removed"`
	JoinedAt  string `json:"joined_at"`
	UpdatedAt string `json:"updated_at"`
}

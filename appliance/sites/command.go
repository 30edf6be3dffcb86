package sites

import "missive/appliance/kernel"

// Commands of the cluster's membership. They belong to no tenant: their
// Tenant is ClusterTenant. They are registered in apply.go.
const (
	// KindClusterToken records a join token printed by `missive cluster
	// token`: its hash only, whether it admits a voter, and its expiry.
	KindClusterToken kernel.Kind = "cluster.token"
	// KindClusterJoin uses a join token, once cluster-wide, and records
	// the node that joined with it.
	KindClusterJoin kernel.Kind = "cluster.join"
	// KindClusterMember changes a member: promoted, demoted or removed.
	KindClusterMember kernel.Kind = "cluster.member"
)

// ClusterTenant is the Tenant of the cluster's own commands (kernel.ClusterTenant).
const ClusterTenant = kernel.ClusterTenant

type ClusterToken struct {
	Hash      string `json:"hash"`
	Voter     bool   `json:"voter"`
	ExpiresAt string `json:"expires_at"`
}

type ClusterJoin struct {
	Hash    string `json:"hash"`
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
}

type ClusterMember struct {
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
	Removed bool   `json:"removed"`
}

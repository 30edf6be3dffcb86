package appliance

import "missive/appliance/sites"

// The membership feature's names the cluster package and the tests use.
type (
	ClusterToken  = sites.ClusterToken
	ClusterJoin   = sites.ClusterJoin
	ClusterMember = sites.ClusterMember
)

const (
	KindClusterToken  = sites.KindClusterToken
	KindClusterJoin   = sites.KindClusterJoin
	KindClusterMember = sites.KindClusterMember
	ClusterTenant     = sites.ClusterTenant
)

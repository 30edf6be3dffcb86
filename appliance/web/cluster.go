package web

import (
	"context"
	"net/http"
)

// Administration › Cluster: every node of the cluster as `missive cluster
// status` shows it. The status comes from package cluster, outside the
// appliance, through Options.Cluster.

// ClusterStatus is the cluster seen from this node.
type ClusterStatus struct {
	// Clustered: this node has a cluster port. Without one it runs alone.
	Clustered bool
	Self      string
	Leader    string
	Nodes     []ClusterNode
}

// ClusterNode is one node of ClusterStatus.
type ClusterNode struct {
	ID, Address  string
	Voter        bool
	Leader       bool
	AppliedIndex uint64
	// Lag is how many entries it applied fewer than the leader.
	Lag         uint64
	LastContact string
	State       string
	Error       string
	// CatchUp says how it catches up with the leader (entries behind,
	// snapshot received, time left), "-" when it does not.
	CatchUp string
}

func init() {
	for k, v := range map[string][2]string{
		"cluster.title":       {"Cluster", "Cluster"},
		"cluster.lead":        {"Les nœuds du cluster, comme les montre « missive cluster status » : chaque site garde sa propre base et reçoit chaque écriture du leader.", "The nodes of the cluster, as « missive cluster status » shows them: each site keeps its own database and receives every write from the leader."},
		"cluster.alone":       {"Ce serveur fonctionne seul : il n'a pas de port de cluster.", "This server runs alone: it has no cluster port."},
		"cluster.howto":       {"Pour en faire un cluster de plusieurs sites : redémarrez-le avec --cluster-listen ADRESSE:PORT (ou cluster_listen dans missive.toml), affichez un jeton avec « missive cluster token », puis démarrez chaque nouveau nœud, sur un dossier de données vide, avec « missive serve --cluster-listen SON_ADRESSE:PORT --join ADRESSE:PORT --token JETON ». Voir la section « Plusieurs sites » du README.", "To make it a cluster of several sites: restart it with --cluster-listen ADDRESS:PORT (or cluster_listen in missive.toml), print a token with « missive cluster token », then start each new node, on an empty data dir, with « missive serve --cluster-listen ITS_ADDRESS:PORT --join ADDRESS:PORT --token TOKEN ». See the « Plusieurs sites » section of the README."},
		"cluster.add":         {"Pour ajouter un nœud : « missive cluster token » sur un nœud en marche (--nonvoter pour un site de secours passif), puis « missive serve --cluster-listen … --join … --token … » sur le nouveau.", "To add a node: « missive cluster token » on a running node (--nonvoter for a passive backup site), then « missive serve --cluster-listen … --join … --token … » on the new one."},
		"cluster.noleader":    {"Aucun leader : le quorum des nœuds votants est perdu. Les consultations continuent, les écritures sont refusées.", "No leader: the quorum of voting nodes is lost. Reads go on, writes are refused."},
		"cluster.node":        {"Nœud", "Node"},
		"cluster.address":     {"Adresse", "Address"},
		"cluster.vote":        {"Vote", "Vote"},
		"cluster.voter":       {"votant", "voter"},
		"cluster.nonvoter":    {"non votant", "non-voter"},
		"cluster.state":       {"État", "State"},
		"cluster.leader":      {"leader", "leader"},
		"cluster.applied":     {"Index appliqué", "Applied index"},
		"cluster.lag":         {"Retard", "Lag"},
		"cluster.contact":     {"Dernier contact", "Last contact"},
		"cluster.catchup":     {"Rattrapage", "Catch-up"},
		"cluster.self":        {"ce nœud", "this node"},
		"cluster.unavailable": {"État du cluster indisponible :", "Cluster status unavailable:"},
	} {
		catalogue["fr"][k], catalogue["en"][k] = v[0], v[1]
	}
}

func (s *Server) clusterRoutes() []struct {
	pattern string
	h       handler
} {
	return []struct {
		pattern string
		h       handler
	}{
		{"GET /admin/cluster", s.adminCluster},
	}
}

type clusterPage struct {
	Status *ClusterStatus
	Err    string
}

func (s *Server) adminCluster(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	var d clusterPage
	if s.opts.Cluster != nil {
		st, err := s.opts.Cluster(r.Context())
		if err != nil {
			// The page is where an administrator looks when the cluster
			// is in trouble: it says why rather than failing.
			s.log.Warn("web: read cluster status", "err", err)
			d.Err = err.Error()
		}
		d.Status = st
	}
	if d.Status == nil && d.Err == "" {
		d.Status = &ClusterStatus{}
	}
	v := s.page(w, r, q, tr(q.lang, "cluster.title"), "admin-cluster", d)
	s.render(w, q, http.StatusOK, "admin_cluster", v)
	return nil
}

// ClusterFunc gives Administration › Cluster the status of the cluster.
type ClusterFunc func(ctx context.Context) (*ClusterStatus, error)

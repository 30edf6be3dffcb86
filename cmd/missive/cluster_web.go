package main

import (
	"context"

	"missive/appliance/web"
	"missive/cluster"
)

// clusterPage gives Administration › Cluster the status `missive cluster
// status` prints, from the same call: appliance/web does not know package
// cluster.
func clusterPage(n *cluster.Node) web.ClusterFunc {
	return func(ctx context.Context) (*web.ClusterStatus, error) {
		out := &web.ClusterStatus{Clustered: n.Clustered(), Self: n.ID()}
		st, err := n.Status(ctx)
		if err != nil {
			return out, err
		}
		out.Leader = st.Leader
		for _, s := range st.Nodes {
			out.Nodes = append(out.Nodes, web.ClusterNode{
				ID: s.ID, Address: s.Address, Voter: s.Voter, Leader: s.Leader,
				AppliedIndex: s.AppliedIndex, Lag: s.Lag, LastContact: s.LastContact, State: s.State, Error: s.Error, CatchUp: s.CatchUp.String(),
			})
		}
		return out, nil
	}
}

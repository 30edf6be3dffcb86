package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"missive/appliance"
	"missive/appliance/control"
	"missive/appliance/domain"
)

// Control answers the cluster.* operations of the control socket
// (missive cluster token|status|remove|promote|demote).
func (n *Node) Control(ctx context.Context, req control.Request) (string, error) {
	c := req.Cluster
	if c == nil {
		c = &control.ClusterRequest{}
	}
	switch req.Op {
	case "cluster.token":
		ttl := 24 * time.Hour
		if c.TTL != "" {
			d, err := time.ParseDuration(c.TTL)
			if err != nil || d < time.Minute || d > 30*24*time.Hour {
				return "", fmt.Errorf("%w: --ttl %q: une durée entre 1m et 720h, ex. 24h", appliance.ErrInvalid, c.TTL)
			}
			ttl = d
		}
		tok, exp, err := n.CreateToken(ctx, !c.NonVoter, ttl)
		if err != nil {
			return "", err
		}
		kind := "un nœud votant"
		if c.NonVoter {
			kind = "un nœud non votant (site de secours passif)"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Jeton d'adhésion pour %s, à usage unique, valable jusqu'au %s.\n", kind, exp.In(domain.Paris).Format("02/01/2006 à 15:04"))
		fmt.Fprintf(&b, "Sur le nouveau nœud, avec un dossier de données vide:\n")
		fmt.Fprintf(&b, "  missive serve --data DOSSIER --cluster-listen SON_ADRESSE:PORT --join %s --token JETON\n", n.addr)
		fmt.Fprintf(&b, "Jeton (dernière ligne):\n%s\n", tok)
		return b.String(), nil
	case "cluster.status":
		st, err := n.Status(ctx)
		if err != nil {
			return "", err
		}
		if c.JSON {
			b, err := json.MarshalIndent(st, "", "  ")
			return string(b) + "\n", err
		}
		return formatStatus(st), nil
	case "cluster.check":
		reps, err := n.CheckCluster(ctx, c.Repair)
		if err != nil {
			return "", err
		}
		if c.JSON {
			b, err := json.MarshalIndent(reps, "", "  ")
			return string(b) + "\n", err
		}
		text, clean := formatCheck(reps)
		if !clean {
			return "", &CheckError{Text: text}
		}
		return text, nil
	case "cluster.remove", "cluster.promote", "cluster.demote":
		if c.Node == "" {
			return "", fmt.Errorf("%w: nommez le nœud (son identifiant ou son adresse, voir missive cluster status)", appliance.ErrInvalid)
		}
		action := strings.TrimPrefix(req.Op, "cluster.")
		if err := n.ChangeMember(ctx, c.Node, action); err != nil {
			return "", err
		}
		done := map[string]string{
			actionRemove:  "retiré du cluster: il n'accepte plus d'écritures et son certificat est refusé",
			actionPromote: "votant",
			actionDemote:  "non votant: il réplique mais ne vote plus",
		}[action]
		return fmt.Sprintf("Nœud %s %s.\n", c.Node, done), nil
	}
	return "", fmt.Errorf("%w: opération %q inconnue", appliance.ErrInvalid, req.Op)
}

func formatStatus(st *Status) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NŒUD\tADRESSE\tVOTE\tÉTAT\tAPPLIQUÉ\tRETARD\tDERNIER CONTACT")
	for _, s := range st.Nodes {
		vote := "non votant"
		if s.Voter {
			vote = "votant"
		}
		name := s.ID
		if s.ID == st.Self {
			name += " (ce nœud)"
		}
		contact := s.LastContact
		if contact == "" {
			contact = "-"
		}
		state := s.State
		if s.Error != "" {
			state += " (" + s.Error + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", name, s.Address, vote, state, s.AppliedIndex, s.Lag, contact)
	}
	w.Flush()
	if st.Leader == "" {
		b.WriteString("Aucun leader: le quorum des nœuds votants est perdu, les écritures attendent.\n")
	}
	return b.String()
}

// CheckError is a check that found missing or altered documents: its
// text is the report, and the command exits non-zero.
type CheckError struct{ Text string }

func (e *CheckError) Error() string { return strings.TrimRight(e.Text, "\n") }

package main

import (
	"fmt"

	"missive/appliance/control"
)

// The cluster's commands go through the running server's control socket:
// only a running node knows its cluster.

const clusterTokenHelp = `Affiche un jeton d'adhésion à usage unique (sur sa dernière ligne) pour faire entrer
un nouveau nœud dans le cluster de ce nœud en marche. Sur le nouveau nœud, avec un
dossier de données vide:
  missive serve --data DOSSIER --cluster-listen SON_ADRESSE:PORT --join ADRESSE_DE_CE_NŒUD:PORT --token JETON
Le jeton contient l'empreinte de l'autorité du cluster: le nouveau nœud vérifie qu'il
parle au bon cluster avant d'y envoyer quoi que ce soit. Il reçoit son certificat, la
clé des secrets (secrets.key) et les données. Votant par défaut (après avoir rattrapé
les autres); --nonvoter pour un site de secours passif, qui réplique sans voter.`

const clusterStatusHelp = `Affiche chaque nœud du cluster: identifiant, adresse, votant ou non, leader, dernière
entrée appliquée, retard sur le leader, dernier contact. --json pour un script:
{"self", "leader", "nodes": [{"id", "address", "voter", "leader", "applied_index", …}]}.`

const clusterCheckHelp = `Vérifie sur chaque nœud du cluster que tous les documents référencés (scans, courriels,
pièces jointes, versions de brouillons) sont présents et intègres: chacun est relu et son
empreinte SHA-256 recalculée. Liste les documents manquants ou altérés par nœud et se
termine en erreur s'il y en a. --repair met de côté les documents altérés (DATA/blobs/corrupt)
et récupère les bons auprès d'un autre nœud. Un nœud récupère aussi de lui-même, en
arrière-plan, les documents qui lui manquent.`

const clusterRemoveHelp = `Retire un nœud du cluster (par son identifiant ou son adresse, voir missive cluster
status). Son certificat est refusé dès lors par tous les nœuds; s'il est joignable, il est
prévenu et refuse toute écriture. Pour le faire revenir: videz son dossier de données et
faites-le rejoindre avec un nouveau jeton.`

const clusterPromoteHelp = `Fait voter un nœud non votant (un site de secours devenu site actif).`

const clusterDemoteHelp = `Retire le droit de vote à un nœud: il réplique toujours, mais ne compte plus dans le
quorum (site de secours passif).`

func runClusterToken(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "cluster.token", Cluster: &control.ClusterRequest{}}
	c.fs.BoolVar(&req.Cluster.NonVoter, "nonvoter", false, "le nœud admis réplique sans voter (site de secours passif)")
	c.fs.StringVar(&req.Cluster.TTL, "ttl", "24h", "durée de validité du jeton, ex. 30m, 24h")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

func runClusterStatus(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "cluster.status", Cluster: &control.ClusterRequest{}}
	c.fs.BoolVar(&req.Cluster.JSON, "json", false, "sortie JSON")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

func runClusterCheck(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "cluster.check", Cluster: &control.ClusterRequest{}}
	c.fs.BoolVar(&req.Cluster.JSON, "json", false, "sortie JSON")
	c.fs.BoolVar(&req.Cluster.Repair, "repair", false, "récupérer auprès d'un autre nœud les documents manquants ou altérés")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}

// runClusterMember is cluster remove, promote and demote.
func runClusterMember(op string) func(c *cli) error {
	return func(c *cli) error {
		c.dataFlags()
		if err := c.parse(true); err != nil {
			return err
		}
		if c.fs.NArg() != 1 {
			return &exitError{2, fmt.Sprintf("un nœud est attendu, ex. « missive %s NŒUD » (identifiant ou adresse, voir missive cluster status)", c.fs.Name()[len("missive "):])}
		}
		return c.control(control.Request{Op: op, Cluster: &control.ClusterRequest{Node: c.fs.Arg(0)}})
	}
}

package main

import (
	"errors"
	"fmt"
	"strings"

	"missive/cluster"
)

const clusterRecoverHelp = `Refait un cluster avec les nœuds survivants quand la majorité des nœuds votants est
perdue pour de bon (un site détruit): sans elle, aucun leader ne peut être élu et toute
modification est refusée. À lancer, Missive ARRÊTÉ (systemctl stop missive), sur chaque
nœud survivant, avec la même liste: --keep donne les autres survivants (identifiants ou
adresses, séparés par des virgules, tels que les liste la configuration affichée);
sans --keep, ce nœud reste seul. La nouvelle configuration est écrite dans
DATA/raft/peers.json et appliquée au prochain démarrage, puis le fichier est supprimé.
Ensuite: démarrez les survivants, vérifiez missive cluster status, puis retirez les
nœuds perdus (missive cluster remove NŒUD) pour que leur certificat soit refusé s'ils
reviennent. Un nœud perdu qui revient malgré tout doit rejoindre avec un dossier vide
et un nouveau jeton. À n'utiliser que si les nœuds perdus ne reviendront pas: deux
moitiés d'un cluster récupérées chacune de leur côté divergeraient.`

func runClusterRecover(c *cli) error {
	c.dataFlags()
	var keep string
	c.fs.StringVar(&keep, "keep", "", "les autres nœuds survivants à garder comme votants, séparés par des virgules (identifiants ou adresses)")
	if err := c.parse(false); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if err := mustExist(cfg.Data); err != nil {
		return err
	}
	var others []string
	for k := range strings.SplitSeq(keep, ",") {
		if k = strings.TrimSpace(k); k != "" {
			others = append(others, k)
		}
	}
	plan, err := cluster.Recover(cfg.Data, others)
	if err != nil {
		var locked *cluster.LockedError
		if errors.As(err, &locked) {
			return &exitError{1, lockedMessage(cfg.Data, locked.PID)}
		}
		return &exitError{1, "récupération impossible: " + err.Error()}
	}
	fmt.Fprintf(c.stdout, "Configuration actuelle du nœud %s:\n", plan.Self)
	for _, s := range plan.Before {
		fmt.Fprintf(c.stdout, "  %s  %s  %s\n", s.ID, s.Address, s.Suffrage)
	}
	fmt.Fprintln(c.stdout, "Nouvelle configuration (tous votants), appliquée au prochain démarrage:")
	for _, s := range plan.After {
		fmt.Fprintf(c.stdout, "  %s  %s\n", s.ID, s.Address)
	}
	fmt.Fprintf(c.stdout, "Écrite dans %s.\n", plan.File)
	fmt.Fprintln(c.stdout, "Faites de même sur chaque autre survivant avec la même liste, puis démarrez-les (systemctl start missive),")
	fmt.Fprintln(c.stdout, "vérifiez missive cluster status et retirez les nœuds perdus (missive cluster remove NŒUD).")
	return nil
}

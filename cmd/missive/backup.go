package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"missive/appliance"
	"missive/appliance/config"
	"missive/appliance/control"
	"missive/appliance/store"
	"missive/backup"
	"missive/cluster"
	"missive/installer"
)

// The backup commands. `run` goes through the running server's control
// socket (the server holds the data dir; it runs the backup with its own
// store, writes going on meanwhile) or opens the data dir when no server
// runs. The others talk to a target only and need no data dir: a restore
// runs on a new machine.

const backupRunHelp = `Sauvegarde maintenant: la base (un instantané cohérent, pendant que Missive
tourne), chaque document qu'elle référence et les clés du dossier de données
(secrets.key, autorité du cluster, certificats), chiffrés avant de quitter le
serveur. Seuls les documents et morceaux de base que la cible n'a pas encore
sont envoyés. Chaque sauvegarde est relue depuis la cible, déchiffrée, chaque
morceau vérifié, et sa base restaurée à l'essai avec la vérification de
l'historique: elle n'est listée qu'une fois vérifiée.
Cibles: --target (répétable), sinon les [[backup.target]] de la configuration.
  file:///mnt/nas/missive
  webdav+https://compte@cloud.ville.fr/remote.php/dav/files/compte/Sauvegardes
  sftp://compte@serveur:22/dossier
La première sauvegarde sur une cible l'initialise avec la phrase de passe.
Entrée standard: la phrase de passe (--passphrase-stdin), puis le mot de passe de
la cible (--target-password-stdin), une ligne chacun.
Code de sortie 1 si une cible a échoué.`

const backupListHelp = `Liste les sauvegardes terminées et vérifiées d'une cible: identifiant, date,
index raft, taille, documents. --json pour un programme (champs id, time,
applied_index, verified, size, sent, blob_count).`

const backupVerifyHelp = `Vérifie une cible: chaque sauvegarde, les fichiers d'index dont elle dépend, la
présence et la taille de chaque fichier de données. Avec --read-data, relit et
déchiffre tout, vérifie l'empreinte de chaque morceau, et restaure à l'essai la base
de la dernière sauvegarde (ou --id) avec la vérification de l'historique.
Nomme chaque fichier manquant ou altéré; code de sortie 1 s'il y en a un.`

const backupRestoreHelp = `Restaure une sauvegarde (la dernière, ou --id) dans un dossier de données neuf
(--to, absent ou vide): documents, clés, base (SQLite dans --to, ou la base
PostgreSQL vide de --db), puis vérifie l'historique. Le dossier devient le
premier nœud d'un nouveau cluster, avec un nouvel identifiant de nœud et, au
premier démarrage avec --cluster-listen, sa propre autorité (celle de l'ancien
cluster n'est pas restaurée: ses nœuds restants ne le prennent pas pour l'un des
leurs). « missive serve --data DOSSIER [--cluster-listen ADRESSE:PORT] » le
démarre; d'autres nœuds, à dossier vide, le rejoignent ensuite avec un jeton
(missive cluster token). Passer de SQLite à PostgreSQL, c'est restaurer avec --db.`

const backupPruneHelp = `Oublie les sauvegardes que la règle de conservation ne garde pas (la dernière de
chacun des --keep-daily derniers jours, --keep-weekly dernières semaines,
--keep-monthly derniers mois; la plus récente toujours) et supprime les données
qu'aucune sauvegarde gardée n'utilise. Défauts: section [backup] de la
configuration. --dry-run: dit seulement ce qui serait supprimé.`

const backupStatusHelp = `État des sauvegardes d'après les exécutions enregistrées (celles du service, de
« Sauvegarder maintenant » et de « missive backup run »): dernière réussite et
dernier échec par cible, retard sur l'horaire de la configuration.
Code de sortie 1 si une sauvegarde a échoué, est en retard, n'a jamais été faite
ou si aucune n'est configurée.`

// runRequest is what `backup run` sends through the control socket.
type runRequest struct {
	Targets    []backup.TargetSpec `json:"targets,omitempty"`
	Passphrase string              `json:"passphrase,omitempty"`
}

// runReply is the server's answer.
type runReply struct {
	Results []runResult `json:"results"`
}

type runResult struct {
	Target   string           `json:"target"`
	Manifest *backup.Manifest `json:"manifest,omitempty"`
	Created  bool             `json:"created,omitempty"`
	Error    string           `json:"error,omitempty"`
}

func toReply(rs []backup.TargetResult) runReply {
	var out runReply
	for _, r := range rs {
		rr := runResult{Target: r.Target, Manifest: r.Manifest, Created: r.Created}
		if r.Err != nil {
			rr.Error = r.Err.Error()
		}
		out.Results = append(out.Results, rr)
	}
	return out
}

func runBackupRun(c *cli) error {
	c.fs.StringVar(&c.common.data, "data", "", "dossier des données (défaut: data, ou la clé data de --config)")
	c.fs.StringVar(&c.common.db, "db", "", "base PostgreSQL postgres://…; vide: SQLite dans le dossier des données")
	b := c.backupFlags()
	if err := c.parse(false); err != nil {
		return err
	}
	if err := b.readSecrets(c); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.DB == "" {
		if err := mustExist(cfg.Data); err != nil {
			return err
		}
	}
	specs, err := b.specs(cfg.Backup)
	if err != nil {
		return err
	}
	req := runRequest{Targets: specs, Passphrase: b.passphrase}
	ui := newProgressUI(c)
	defer ui.close()
	ext, _ := json.Marshal(req)
	resp, err := control.CallStream(cfg.Data, control.Request{Op: "backup.run", Ext: ext}, func(ev json.RawMessage) {
		var e backup.Event
		if json.Unmarshal(ev, &e) == nil {
			ui.event(e)
		}
	})
	var reply runReply
	switch {
	case errors.Is(err, control.ErrNoServer):
		ctx, stop := backupContext()
		defer stop()
		log := newLogger(cfg, c)
		n, err := openNode(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer n.close()
		m := newBackupManager(cfg, n, log)
		rs, err := m.Run(ctx, backup.RunRequest{Targets: specs, Passphrase: b.passphrase, Trigger: "cli", Progress: ui.event})
		if err != nil {
			return &exitError{1, err.Error()}
		}
		reply = toReply(rs)
	case err != nil:
		return err
	case resp.Error != "":
		return &exitError{resp.Code, resp.Error}
	default:
		if err := json.Unmarshal([]byte(resp.Output), &reply); err != nil {
			return fmt.Errorf("réponse du serveur illisible: %w", err)
		}
	}
	ui.close()
	return printRunReply(c.stdout, reply)
}

// printRunReply says, per target, what the run did (created the
// repository, the backup's sizes and times) or why it failed; an error
// with exit code 1 if any target failed.
func printRunReply(w io.Writer, reply runReply) error {
	failed := 0
	for _, r := range reply.Results {
		if r.Error != "" {
			failed++
			fmt.Fprintf(w, "ÉCHEC %s: %s\n", r.Target, r.Error)
			continue
		}
		if r.Created {
			fmt.Fprintf(w, "Nouvelle sauvegarde chiffrée créée sur %s: sans la phrase de passe, rien ne s'y restaure; imprimez-la et rangez-la hors du serveur.\n", r.Target)
		}
		m := r.Manifest
		secs := func(s float64) time.Duration {
			return (time.Duration(s*1000) * time.Millisecond).Round(100 * time.Millisecond)
		}
		fmt.Fprintf(w, "Sauvegarde %s vérifiée sur %s: %s sauvegardés (%d documents), dont %s nouveaux; %s envoyés, en %s (dont %s de vérification).\n",
			m.ID, r.Target, backup.FormatBytes(m.Size), m.BlobCount, backup.FormatBytes(m.Added), backup.FormatBytes(m.Sent),
			secs(m.Duration), secs(m.VerifySeconds))
	}
	if failed > 0 {
		return &exitError{1, fmt.Sprintf("%d cible(s) en échec", failed)}
	}
	return nil
}

// newBackupManager wires the backup manager of a node.
func newBackupManager(cfg config.Config, n *node, log *slog.Logger) *backup.Manager {
	nodeID, _ := os.ReadFile(filepath.Join(cfg.Data, "node-id"))
	return &backup.Manager{
		Src:    backup.Source{Store: n.store, Blobs: n.blobs, DataDir: cfg.Data, Node: strings.TrimSpace(string(nodeID)), Version: version},
		Rec:    n.svc,
		Config: cfg.Backup,
		Log:    log,
		// The raft leader only: Ready is true on every node that
		// knows a leader, and two nodes would both back up.
		Leader:        n.cluster.Leader,
		LeaderChanged: n.cluster.LeaderChanged,
	}
}

func runBackupList(c *cli) error {
	b := c.backupFlags()
	asJSON := c.fs.Bool("json", false, "sortie JSON")
	ctx, _, repos, done, err := b.open(c)
	if err != nil {
		return err
	}
	defer done()
	type item struct {
		Target string `json:"target"`
		*backup.Manifest
	}
	var all []item
	var damaged []error
	for _, r := range repos {
		ms, bad, err := r.List(ctx)
		if err != nil {
			return err
		}
		damaged = append(damaged, bad...)
		for _, m := range ms {
			all = append(all, item{r.Target().String(), m})
		}
	}
	if *asJSON {
		type out struct {
			ID           string    `json:"id"`
			Target       string    `json:"target"`
			Time         time.Time `json:"time"`
			AppliedIndex uint64    `json:"applied_index"`
			Verified     bool      `json:"verified"`
			VerifiedAt   time.Time `json:"verified_at"`
			Size         int64     `json:"size"`
			Sent         int64     `json:"sent"`
			BlobCount    int       `json:"blob_count"`
			Duration     float64   `json:"duration_seconds"`
			Host         string    `json:"host"`
			Version      string    `json:"version"`
		}
		list := []out{}
		for _, it := range all {
			m := it.Manifest
			list = append(list, out{m.ID, it.Target, m.Time, m.AppliedIndex, m.Verified, m.VerifiedAt, m.Size, m.Sent, m.BlobCount, m.Duration, m.Host, m.Version})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(list); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "IDENTIFIANT\tDATE\tINDEX\tTAILLE\tDOCUMENTS\tVÉRIFIÉE\tCIBLE")
		for _, it := range all {
			m := it.Manifest
			v := "non"
			if m.Verified {
				v = "oui, le " + m.VerifiedAt.Local().Format("02/01 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\n", m.ID, m.Time.Local().Format("02/01/2006 15:04"), m.AppliedIndex, backup.FormatBytes(m.Size), m.BlobCount, v, it.Target)
		}
		tw.Flush()
	}
	for _, d := range damaged {
		fmt.Fprintf(c.stderr, "ENDOMMAGÉ %v\n", d)
	}
	if len(damaged) > 0 {
		return &exitError{1, "des sauvegardes sont illisibles: lancez missive backup verify"}
	}
	return nil
}

func runBackupVerify(c *cli) error {
	b := c.backupFlags()
	var vo backup.VerifyOptions
	c.fs.BoolVar(&vo.ReadData, "read-data", false, "relire et déchiffrer toutes les données, et restaurer la base à l'essai")
	c.fs.StringVar(&vo.ID, "id", "", "avec --read-data: la sauvegarde dont la base est restaurée à l'essai (défaut: la dernière)")
	ctx, cfg, repos, done, err := b.open(c)
	if err != nil {
		return err
	}
	defer done()
	ui := newProgressUI(c)
	defer ui.close()
	bad := 0
	for _, r := range repos {
		rep, err := backup.Verify(ctx, r, vo, backup.Options{Progress: ui.event, Log: newLogger(cfg, c)})
		ui.close()
		if err != nil {
			return err
		}
		for _, d := range rep.Damaged {
			fmt.Fprintf(c.stdout, "ENDOMMAGÉ %v\n", d)
		}
		bad += len(rep.Damaged)
		if len(rep.Damaged) == 0 {
			what := "présence et taille de chaque fichier vérifiées"
			if vo.ReadData {
				what = fmt.Sprintf("%d fichiers de données relus (%s), chaque morceau vérifié, base restaurée à l'essai", rep.Packs, backup.FormatBytes(rep.Bytes))
			}
			fmt.Fprintf(c.stdout, "%s: %d sauvegarde(s) intègre(s): %s.\n", r.Target(), rep.Backups, what)
		}
	}
	if bad > 0 {
		return &exitError{1, fmt.Sprintf("%d fichier(s) manquant(s) ou altéré(s)", bad)}
	}
	return nil
}

func runBackupRestore(c *cli) error {
	b := c.backupFlags()
	var id, to, db string
	c.fs.StringVar(&id, "id", "", "sauvegarde à restaurer (défaut: la dernière; voir missive backup list)")
	c.fs.StringVar(&to, "to", "", "dossier de données à créer (obligatoire; absent ou vide)")
	c.fs.StringVar(&db, "db", "", "restaurer la base dans cette base PostgreSQL vide (postgres://…); vide: SQLite dans --to")
	if err := c.parse(false); err != nil {
		return err
	}
	if to == "" {
		return &exitError{2, "--to est obligatoire: le dossier de données à créer"}
	}
	if db != "" && !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
		return &exitError{2, "--db: attendu postgres://…"}
	}
	if err := b.readSecrets(c); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if len(b.targets) == 0 && len(cfg.Backup.Targets) > 1 {
		b.targets = stringList{cfg.Backup.Targets[0].URL}
	}
	ctx, stop := backupContext()
	defer stop()
	repos, closeAll, err := b.repos(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	r := repos[0]
	m, err := r.Find(ctx, id)
	if err != nil {
		return err
	}
	ui := newProgressUI(c)
	defer ui.close()
	err = backup.Restore(ctx, r, m, backup.RestoreOptions{To: to, DB: db, Seed: cluster.Seed}, backup.Options{Progress: ui.event, Log: newLogger(cfg, c)})
	ui.close()
	if err != nil {
		return err
	}
	// The database now has this binary's schema: the next start needs no
	// pre-upgrade copy of it.
	if err := installer.MarkVersion(to, version); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Sauvegarde %s du %s restaurée dans %s: %d documents, historique vérifié.\n", m.ID, m.Time.Local().Format("02/01/2006 à 15:04"), to, m.BlobCount)
	dbFlag := ""
	if db != "" {
		dbFlag = " --db " + strings.Split(db, "?")[0]
	}
	fmt.Fprintf(c.stdout, "Démarrez Missive sur ce dossier: missive serve --data %s%s\n", to, dbFlag)
	return nil
}

func runBackupPrune(c *cli) error {
	b := c.backupFlags()
	var p backup.Retention
	var dry bool
	keep := [3]*int{}
	keep[0] = c.fs.Int("keep-daily", -1, "sauvegardes quotidiennes gardées (défaut: keep_daily, 7)")
	keep[1] = c.fs.Int("keep-weekly", -1, "sauvegardes hebdomadaires gardées (défaut: keep_weekly, 4)")
	keep[2] = c.fs.Int("keep-monthly", -1, "sauvegardes mensuelles gardées (défaut: keep_monthly, 12)")
	c.fs.BoolVar(&dry, "dry-run", false, "dire ce qui serait supprimé, sans rien supprimer")
	ctx, cfg, repos, done, err := b.open(c)
	if err != nil {
		return err
	}
	defer done()
	p = backup.Retention{Daily: cfg.Backup.KeepDaily, Weekly: cfg.Backup.KeepWeekly, Monthly: cfg.Backup.KeepMonthly}
	for i, dst := range []*int{&p.Daily, &p.Weekly, &p.Monthly} {
		if *keep[i] >= 0 {
			*dst = *keep[i]
		}
	}
	for _, r := range repos {
		res, err := backup.Prune(ctx, r, p, dry, backup.Options{Log: newLogger(cfg, c)})
		if err != nil {
			return err
		}
		verb := "supprimées"
		if dry {
			verb = "à supprimer"
		}
		fmt.Fprintf(c.stdout, "%s: %d sauvegarde(s) gardée(s), %d %s (%s), %d fichier(s) de données libérant %s.\n",
			r.Target(), len(res.Kept), len(res.Removed), verb, strings.Join(res.Removed, ", "), res.PacksRemoved, backup.FormatBytes(res.BytesFreed))
	}
	return nil
}

func runBackupStatus(c *cli) error {
	c.dataFlags()
	asJSON := c.fs.Bool("json", false, "sortie JSON")
	if err := c.parse(false); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if cfg.DB == "" {
		if err := mustExist(cfg.Data); err != nil {
			return err
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.DB, cfg.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.Reader().BackupRuns(ctx, 200)
	if err != nil {
		return err
	}
	h := appliance.CheckBackups(runs, backupPolicy(cfg), time.Now())
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(h); err != nil {
			return err
		}
	} else {
		printHealth(c.stdout, h)
	}
	if !h.OK() {
		return &exitError{1, ""}
	}
	return nil
}

func printHealth(w io.Writer, h appliance.BackupHealth) {
	if len(h.Targets) == 0 {
		fmt.Fprintln(w, "À CORRIGER  "+h.Message)
		return
	}
	for _, t := range h.Targets {
		tag := "OK         "
		if t.State != appliance.BackupStateOK {
			tag = "À CORRIGER "
		}
		fmt.Fprintf(w, "%s %s\n", tag, t.Message)
		if t.LastOK != nil && t.State != appliance.BackupStateOK {
			fmt.Fprintf(w, "            dernière réussite: sauvegarde %s du %s\n", t.LastOK.BackupID, t.LastOK.FinishedAt)
		}
	}
}

// backupPolicy is the configuration's schedule and targets; with no target
// configured, nothing is scheduled and the health follows the runs made
// with --target.
func backupPolicy(cfg config.Config) appliance.BackupPolicy {
	return (&backup.Manager{Config: cfg.Backup}).Policy()
}

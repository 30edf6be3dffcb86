package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"missive/appliance/control"
	"missive/appliance/devseed"
)

const devSeedHelp = `Remplit un dossier de données de courriers réalistes de mairie (voirie, urbanisme,
état civil, écoles, associations, bruit, élagage, stationnement, marchés publics,
CCAS…), arrivés au cours des deux dernières années, avec leurs expéditeurs, leurs
redirections, annotations et clôtures. Crée au besoin les entités, types de courrier
et utilisateurs de démonstration, et initialise un dossier vide comme le premier
« missive serve ». Chaque courrier passe par le chemin d'écriture réel (raft puis
Apply): le débit affiché est celui de la production. Avec --batch N, les mêmes
commandes sont appliquées par lots de N dans une transaction, sans raft, puis l'état
raft est refait comme après une restauration (un instantané de la base): dix fois plus
rapide, pour remplir un dossier de mesure d'un million de courriers. Le contenu ne dépend que de
--seed et de la date du jour. Refuse de tourner pendant qu'un serveur utilise le dossier.
Réservé au développement et aux mesures: jamais sur des données réelles.`

const devBenchHelp = `Mesure un serveur Missive en marche par son API: liste des courriers (bannette,
tri par arrivée décroissante, 50 par page), page d'un courrier, recherche de mots
courants, et avec --write l'enregistrement de courriers (POST). Chaque scénario dure
--duration ou --requests requêtes au plus, avec --concurrency clients; le tableau donne
le débit et les latences p50, p95 et p99. N'accepte qu'une adresse locale, sauf
--allow-remote. Créez le jeton avec « missive token create --user admin ».`

func runDevSeed(c *cli) error {
	c.dataFlags()
	var letters, workers int
	var seed uint64
	c.fs.IntVar(&letters, "letters", 0, "nombre de courriers à enregistrer (obligatoire)")
	c.fs.Uint64Var(&seed, "seed", 1, "graine du générateur: même graine, mêmes courriers")
	c.fs.IntVar(&workers, "workers", 4, "enregistrements menés en parallèle")
	batch := c.fs.Int("batch", 0, "appliquer les commandes par lots de N (100 à 2000) directement dans la base, sans raft, N courriers menés en parallèle: pour remplir vite un dossier de mesure")
	documents := c.fs.Bool("documents", false, "joindre à chaque courrier son scan (PDF de 20 à 80 ko), pour mesurer les sauvegardes")
	if err := c.parse(false); err != nil {
		return err
	}
	if letters <= 0 {
		return &exitError{2, "--letters est obligatoire (nombre de courriers, ex. 10000)"}
	}
	if workers < 1 || workers > 64 {
		return &exitError{2, "--workers doit être entre 1 et 64"}
	}
	if *batch != 0 && (*batch < 100 || *batch > 2000) {
		return &exitError{2, "--batch doit être entre 100 et 2000"}
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	if serverRunning(cfg.Data) {
		return &exitError{1, fmt.Sprintf("un serveur missive utilise le dossier %s: arrêtez-le avant « missive dev seed », qui écrit directement dans son journal raft", cfg.Data)}
	}
	// One line per registered letter would drown the progress lines.
	level := slog.LevelWarn
	if cfg.LogLevel == "debug" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, password, err := startNode(ctx, c, cfg, log, func() (*node, error) { return openNode(ctx, cfg, log) })
	if err != nil {
		return err
	}
	if password != "" && c.getenv("MISSIVE_ADMIN_PASSWORD") == "" {
		fmt.Fprintf(c.stdout, "Premier démarrage: utilisateur admin, mot de passe %s\n", password)
	}
	finish := func() error { return nil }
	if *batch > 0 {
		if n, finish, err = openBatched(ctx, cfg, log, n, *batch); err != nil {
			return err
		}
		workers = *batch
	}
	defer n.close()
	s := &devseed.Seeder{
		Svc:       n.svc,
		Gen:       devseed.New(devseed.Options{Seed: seed, Today: time.Now(), Citizens: min(50_000, max(500, letters/10))}),
		Workers:   workers,
		Documents: *documents,
		Progress: func(done, total int, elapsed time.Duration) {
			fmt.Fprintf(c.stderr, "%d/%d courriers (%d %%), %.0f/s\n", done, total, done*100/total, float64(done)/elapsed.Seconds())
		},
	}
	demo, err := s.Setup(ctx)
	if err != nil {
		return err
	}
	if demo != "" {
		fmt.Fprintf(c.stdout, "Comptes de démonstration créés (courrier, voirie, urba, ccas, maire…), mot de passe %s\n", demo)
	}
	st, err := s.Run(ctx, letters)
	// Interrupted or not, what was applied in batches gets its raft state.
	if ferr := finish(); ferr != nil {
		return fmt.Errorf("état raft après le remplissage par lots (%d courriers): %w", st.Letters, ferr)
	}
	if err != nil {
		return fmt.Errorf("remplissage interrompu après %d courriers: %w", st.Letters, err)
	}
	fmt.Fprintf(c.stdout, "%d courriers enregistrés en %s (%.0f/s), dont %d redirections, %d annotations, %d clôtures.\n",
		st.Letters, st.Elapsed.Round(time.Second), float64(st.Letters)/st.Elapsed.Seconds(), st.Redirects, st.Notes, st.Closes)
	return nil
}

// serverRunning says whether a server answers on the data dir's control
// socket, to refuse before touching anything.
func serverRunning(dataDir string) bool {
	conn, err := net.DialTimeout("unix", filepath.Join(dataDir, control.SocketName), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func runDevBench(c *cli) error {
	var o devseed.LoadOptions
	c.fs.StringVar(&o.URL, "url", "", "adresse du serveur, ex. http://127.0.0.1:8080 (obligatoire)")
	c.fs.StringVar(&o.Token, "token", "", "jeton d'API (obligatoire; défaut: variable MISSIVE_TOKEN)")
	c.fs.DurationVar(&o.Duration, "duration", 10*time.Second, "durée de chaque scénario (10m au plus)")
	c.fs.IntVar(&o.Concurrency, "concurrency", 4, "clients simultanés")
	c.fs.IntVar(&o.MaxRequests, "requests", 100_000, "nombre maximal de requêtes par scénario")
	c.fs.BoolVar(&o.Write, "write", false, "mesurer aussi l'enregistrement de courriers (écrit dans la base)")
	c.fs.BoolVar(&o.AllowRemote, "allow-remote", false, "accepter une adresse qui n'est pas locale")
	c.fs.Uint64Var(&o.Seed, "seed", 1, "graine des requêtes")
	if err := c.parse(false); err != nil {
		return err
	}
	if o.Token == "" {
		o.Token = c.getenv("MISSIVE_TOKEN")
	}
	if o.URL == "" || o.Token == "" {
		return &exitError{2, "--url et --token sont obligatoires"}
	}
	if o.Duration <= 0 || o.Duration > devseed.MaxDuration {
		return &exitError{2, "--duration doit être entre 1s et 10m"}
	}
	if o.Concurrency < 1 || o.Concurrency > 256 {
		return &exitError{2, "--concurrency doit être entre 1 et 256"}
	}
	if !o.AllowRemote {
		if err := devseed.CheckLoopback(o.URL); err != nil {
			return &exitError{2, err.Error()}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(c.stderr, "Mesure de %s: %s par scénario, %d clients…\n", strings.TrimSuffix(o.URL, "/"), o.Duration, o.Concurrency)
	rs, err := devseed.RunLoad(ctx, o)
	devseed.PrintResults(c.stdout, rs)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Errors > 0 {
			return &exitError{1, fmt.Sprintf("%d erreurs pendant le scénario %s", r.Errors, r.Scenario)}
		}
	}
	return nil
}

package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"missive/appliance"
	"missive/appliance/config"
	"missive/appliance/domain"
)

// Recorder records a run's outcome through a command, and gives the
// schedule the runs recorded so far through the system reads (no user asks
// for a scheduled backup). *appliance.Service implements it.
type Recorder interface {
	RecordBackupRun(ctx context.Context, run domain.BackupRun) error
	System() appliance.SystemReader
}

// Manager runs backups for the server (schedule, control socket, admin
// page) and for the CLI when no server runs: the targets and passphrase of
// the configuration unless a request gives its own, one run at a time,
// each outcome recorded.
type Manager struct {
	Src    Source
	Rec    Recorder
	Config config.Backup
	Log    *slog.Logger
	// Leader says whether this node runs the schedule (the raft leader;
	// a single node always is).
	Leader func() bool
	// LeaderChanged, when set, is closed at the next change of
	// leadership: the schedule is looked at again on a new leader at once.
	LeaderChanged func() <-chan struct{}
	Now           func() time.Time
	// TempDir holds verifications' throw-away stores ("": the data dir).
	TempDir string
	// Ctx bounds the runs Start begins (the server's life).
	Ctx context.Context
	// workFactor of a new repository's key (tests).
	workFactor int

	mu      sync.Mutex
	running bool
}

// ErrBusy means a backup is already running on this node.
var ErrBusy = fmt.Errorf("%w: une sauvegarde est déjà en cours", appliance.ErrConflict)

// RunRequest is one "back up now".
type RunRequest struct {
	// Targets: "" means those of the configuration.
	Targets []TargetSpec
	// Passphrase: "" means the configuration's passphrase_file.
	Passphrase string
	Trigger    string // schedule, manual, cli
	Progress   func(Event)
}

// TargetResult is the outcome on one target.
type TargetResult struct {
	Target   string
	Manifest *Manifest
	Created  bool // the repository was initialised by this run
	Pruned   *PruneResult
	Err      error
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Log
}

// Passphrase returns the request's passphrase or reads passphrase_file.
func (m *Manager) Passphrase(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if m.Config.PassphraseFile == "" {
		return "", errors.New("phrase de passe: donnez-la avec --passphrase-stdin, ou réglez passphrase_file dans la section [backup]")
	}
	b, err := os.ReadFile(m.Config.PassphraseFile)
	if err != nil {
		return "", fmt.Errorf("phrase de passe: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", fmt.Errorf("phrase de passe: %s est vide", m.Config.PassphraseFile)
	}
	return p, nil
}

// Targets returns the configured targets with their secrets read.
func (m *Manager) Targets() ([]TargetSpec, error) {
	var out []TargetSpec
	for _, t := range m.Config.Targets {
		spec, err := SpecFromConfig(t)
		if err != nil {
			return nil, err
		}
		out = append(out, spec)
	}
	return out, nil
}

// SpecFromConfig reads a [[backup.target]]'s password file.
func SpecFromConfig(t config.BackupTarget) (TargetSpec, error) {
	spec := TargetSpec{URL: t.URL, KeyFile: t.KeyFile, KnownHosts: t.KnownHosts}
	if t.PasswordFile != "" {
		b, err := os.ReadFile(t.PasswordFile)
		if err != nil {
			return spec, fmt.Errorf("cible %s: mot de passe: %w", Redact(t.URL), err)
		}
		spec.Password = strings.TrimRight(string(b), "\r\n")
	}
	return spec, nil
}

// Run backs up to every target, one after the other, records each
// outcome, and prunes the configured targets by the retention policy.
// It returns ErrBusy when a run is already going on.
func (m *Manager) Run(ctx context.Context, req RunRequest) ([]TargetResult, error) {
	if !m.begin() {
		return nil, ErrBusy
	}
	defer m.end()
	return m.run(ctx, req)
}

// Start runs a backup of the configured targets in the background (the
// admin page's "Sauvegarder maintenant"); ErrBusy when one is running.
func (m *Manager) Start(trigger string) error {
	if len(m.Config.Targets) == 0 {
		return errors.New("aucune cible de sauvegarde: ajoutez une section [[backup.target]] à missive.toml")
	}
	if !m.begin() {
		return ErrBusy
	}
	ctx := m.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	go func() {
		defer m.end()
		if _, err := m.run(ctx, RunRequest{Trigger: trigger}); err != nil {
			m.recordFailure(ctx, trigger, err)
		}
	}()
	return nil
}

// Running says whether a backup is going on in this process.
func (m *Manager) Running() bool { return m.isRunning() }

// Policy is the configuration's schedule and targets, as the health
// computation reads them.
func (m *Manager) Policy() appliance.BackupPolicy {
	var p appliance.BackupPolicy
	for _, t := range m.Config.Targets {
		p.Targets = append(p.Targets, Redact(t.URL))
	}
	if len(p.Targets) > 0 {
		p.Schedule = m.Config.Schedule
	}
	return p
}

func (m *Manager) begin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return false
	}
	m.running = true
	return true
}

func (m *Manager) end() {
	m.mu.Lock()
	m.running = false
	m.mu.Unlock()
}

func (m *Manager) run(ctx context.Context, req RunRequest) ([]TargetResult, error) {
	targets := req.Targets
	configured := len(targets) == 0
	if configured {
		var err error
		if targets, err = m.Targets(); err != nil {
			return nil, err
		}
		if len(targets) == 0 {
			return nil, errors.New("aucune cible de sauvegarde: donnez --target, ou ajoutez une section [[backup.target]] à la configuration")
		}
	}
	pass, err := m.Passphrase(req.Passphrase)
	if err != nil {
		return nil, err
	}
	var out []TargetResult
	for _, spec := range targets {
		res := m.runOne(ctx, spec, pass, req, configured)
		out = append(out, res)
	}
	return out, nil
}

func (m *Manager) runOne(ctx context.Context, spec TargetSpec, pass string, req RunRequest, prune bool) TargetResult {
	start := m.now()
	res := TargetResult{Target: Redact(spec.URL)}
	opts := Options{Log: m.Log, Progress: req.Progress, TempDir: m.TempDir}
	res.Err = func() error {
		t, err := OpenTarget(ctx, spec)
		if err != nil {
			return err
		}
		defer t.Close()
		r, created, err := OpenOrInit(ctx, t, Key{Passphrase: pass, WorkFactor: m.workFactor})
		if err != nil {
			return err
		}
		res.Created = created
		if res.Manifest, err = Run(ctx, r, m.Src, opts); err != nil {
			return err
		}
		if prune {
			pol := Retention{Daily: m.Config.KeepDaily, Weekly: m.Config.KeepWeekly, Monthly: m.Config.KeepMonthly}
			if res.Pruned, err = Prune(ctx, r, pol, false, opts); err != nil {
				// The backup itself is done and verified: a failed
				// clean-up is said, not counted as a failed backup.
				m.log().Warn("backup prune failed", "target", res.Target, "err", err)
			}
		}
		return nil
	}()
	run := domain.BackupRun{ID: appliance.NewID(), Target: res.Target, Trigger: req.Trigger, Node: m.Src.Node,
		StartedAt: start.UTC().Format(domain.TimeLayout), FinishedAt: m.now().UTC().Format(domain.TimeLayout),
		DurationMS: m.now().Sub(start).Milliseconds(), Status: appliance.BackupOK}
	if res.Err != nil {
		run.Status, run.Error = appliance.BackupFailed, res.Err.Error()
		m.log().Error("backup failed", "target", res.Target, "trigger", req.Trigger, "err", res.Err)
	} else {
		mf := res.Manifest
		run.BackupID, run.AppliedIndex, run.Size, run.Sent, run.Verified = mf.ID, int64(mf.AppliedIndex), mf.Size, mf.Sent, mf.Verified
	}
	// Recording goes through raft: it must not be lost because the
	// operation's context ended with the run.
	if m.Rec != nil {
		if err := m.Rec.RecordBackupRun(context.WithoutCancel(ctx), run); err != nil {
			m.log().Error("record backup run", "target", res.Target, "err", err)
		}
	}
	return res
}

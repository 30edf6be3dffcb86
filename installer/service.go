package installer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/kardianos/service"
)

// ServiceName is the systemd unit's name.
const ServiceName = "missive"

// ErrNoSystemd means the machine does not run systemd (a container, most
// often): run `missive serve --config …` under its own supervisor instead.
var ErrNoSystemd = errors.New("systemd ne tourne pas sur cette machine (conteneur?): lancez « missive serve --config … » sous votre superviseur, ou quickstart avec --no-service")

// SystemdRunning reports whether systemd is the init system right now.
func SystemdRunning() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

// Service is the missive system service, driven through kardianos/service.
type Service struct {
	s service.Service
}

// OpenService describes the service with its unit text (see Unit); prog
// is what runs when the service manager starts the binary itself.
func OpenService(unit string, prog service.Interface) (*Service, error) {
	if !SystemdRunning() {
		return nil, ErrNoSystemd
	}
	if prog == nil {
		prog = &Program{}
	}
	return newService(unit, prog)
}

func newService(unit string, prog service.Interface) (*Service, error) {
	s, err := service.New(prog, &service.Config{
		Name:        ServiceName,
		DisplayName: "Missive",
		Description: "Missive, gestion électronique du courrier",
		Option:      service.KeyValue{"SystemdScript": unit},
	})
	if err != nil {
		return nil, err
	}
	if p := service.Platform(); p != "linux-systemd" {
		return nil, fmt.Errorf("gestionnaire de services %q: seul systemd est pris en charge", p)
	}
	return &Service{s: s}, nil
}

// Install writes /etc/systemd/system/missive.service and enables it. A
// unit installed by the .deb or .rpm (in /lib or /usr/lib) is enabled as it
// is rather than shadowed.
func (s *Service) Install() error {
	for _, p := range []string{"/lib/systemd/system/missive.service", "/usr/lib/systemd/system/missive.service"} {
		if _, err := os.Stat(p); err == nil {
			return systemctl("enable", ServiceName)
		}
	}
	return s.s.Install()
}

// Uninstall disables the service and removes the unit quickstart wrote;
// a packaged unit stays (the package owns it) but is disabled.
func (s *Service) Uninstall() error {
	if _, err := os.Stat("/etc/systemd/system/missive.service"); errors.Is(err, os.ErrNotExist) {
		return systemctl("disable", ServiceName)
	}
	return s.s.Uninstall()
}

func (s *Service) Start() error { return s.s.Start() }
func (s *Service) Stop() error  { return s.s.Stop() }

// Status is "en marche", "arrêté" or "non installé".
func (s *Service) Status() (string, error) {
	st, err := s.s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return "non installé", nil
	case err != nil:
		return "", err
	case st == service.StatusRunning:
		return "en marche", nil
	case st == service.StatusStopped:
		return "arrêté", nil
	}
	return "inconnu", nil
}

func systemctl(args ...string) error {
	out, err := runCmd("systemctl", args...)
	if err != nil {
		return fmt.Errorf("systemctl %v: %v: %s", args, err, out)
	}
	return nil
}

// Program is what kardianos/service drives when the service manager runs
// the binary: the server runs on its own (Start returns at once), and Stop
// cancels its context and waits until it has drained (Drained).
type Program struct {
	// StopTimeout bounds the wait in Stop (default 60s, systemd's
	// TimeoutStopSec).
	StopTimeout time.Duration

	cancel  context.CancelFunc
	drained chan struct{}
	once    sync.Once
}

// NewProgram returns the program and the context the server runs under.
func NewProgram(parent context.Context) (*Program, context.Context) {
	ctx, cancel := context.WithCancel(parent)
	return &Program{cancel: cancel, drained: make(chan struct{})}, ctx
}

func (p *Program) Start(service.Service) error { return nil }

func (p *Program) Stop(service.Service) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	timeout := p.StopTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	select {
	case <-p.drained:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("arrêt: le serveur ne s'est pas arrêté en %s", timeout)
	}
}

// Drained says the server has finished shutting down.
func (p *Program) Drained() { p.once.Do(func() { close(p.drained) }) }

// ServiceContext is the context `missive serve` runs under, and the
// function to call once it has shut down. Started by hand (or in a
// container), SIGINT and SIGTERM cancel it. Started by the service manager,
// kardianos/service runs a Program: its Stop cancels the context, then
// waits for the returned function, so the manager's stop returns only once
// the server has drained.
func ServiceContext(log *slog.Logger) (context.Context, func()) {
	if service.Interactive() {
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	p, ctx := NewProgram(context.Background())
	s, err := service.New(p, &service.Config{Name: ServiceName})
	if err != nil {
		log.Warn("no service manager: stopping on signals", "err", err)
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	go func() {
		if err := s.Run(); err != nil {
			log.Error("service stop", "err", err)
		}
	}()
	return ctx, p.Drained
}

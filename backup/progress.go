package backup

import (
	"sync"
	"time"
)

// meter turns the bytes workers report into progress events, at most a
// few per second.
type meter struct {
	mu    sync.Mutex
	phase string
	done  int64
	total int64
	last  time.Time
	emit  func(Event)
}

func newMeter(emit func(Event)) *meter { return &meter{emit: emit} }

// start begins a phase of total bytes (0: unknown).
func (m *meter) start(phase string, total int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase, m.done, m.total = phase, 0, total
	m.send(true)
}

func (m *meter) add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.send(false)
}

// end reports the phase as done.
func (m *meter) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.total == 0 {
		m.total = m.done
	}
	m.done = m.total
	m.send(true)
}

func (m *meter) send(force bool) {
	if m.emit == nil || (!force && time.Since(m.last) < 200*time.Millisecond) {
		return
	}
	m.last = time.Now()
	m.emit(Event{Phase: m.phase, Done: m.done, Total: m.total})
}

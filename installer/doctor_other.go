//go:build !linux

package installer

import (
	"runtime"
)

func (d *doctor) checkClock() { d.ok("Horloge non vérifiée sur %s.", runtime.GOOS) }

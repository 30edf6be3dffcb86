//go:build !linux

package main

import (
	"runtime"
)

func (d *doctor) checkClock() { d.ok("Horloge non vérifiée sur %s.", runtime.GOOS) }

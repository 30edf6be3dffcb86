package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"missive/backup"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressUI shows a long operation's progress: a bar with bytes and ETA
// on a terminal, a plain line every few seconds otherwise (a log file, a
// cron mail).
type progressUI struct {
	w       io.Writer
	tty     bool
	bar     *progressbar.ProgressBar
	phase   string
	last    time.Time
	pending *backup.Event // the latest event not printed yet (plain lines)
}

func newProgressUI(c *cli) *progressUI {
	ui := &progressUI{w: c.stderr}
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ui.tty = true
	}
	return ui
}

func (ui *progressUI) event(e backup.Event) {
	if e.Phase != ui.phase {
		ui.close()
		ui.phase = e.Phase
		if ui.tty {
			total := e.Total
			if total == 0 {
				total = -1 // a spinner: the size is not known yet
			}
			ui.bar = progressbar.NewOptions64(total,
				progressbar.OptionSetDescription(e.Phase),
				progressbar.OptionSetWriter(ui.w),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(ui.w) }),
			)
		} else {
			ui.last = time.Now()
		}
	}
	if ui.bar != nil {
		if e.Total > 0 && ui.bar.GetMax64() != e.Total {
			ui.bar.ChangeMax64(e.Total)
		}
		ui.bar.Set64(e.Done)
		return
	}
	ui.pending = &e
	if time.Since(ui.last) >= 5*time.Second {
		ui.line(e)
	}
}

func (ui *progressUI) line(e backup.Event) {
	ui.last, ui.pending = time.Now(), nil
	if e.Total > 0 {
		fmt.Fprintf(ui.w, "%s: %s / %s (%d %%)\n", e.Phase, backup.FormatBytes(e.Done), backup.FormatBytes(e.Total), e.Done*100/e.Total)
		return
	}
	fmt.Fprintf(ui.w, "%s: %s\n", e.Phase, backup.FormatBytes(e.Done))
}

// close ends the current bar.
func (ui *progressUI) close() {
	if ui.bar != nil {
		ui.bar.Finish()
		ui.bar = nil
	}
	if ui.pending != nil && ui.pending.Done > 0 {
		ui.line(*ui.pending)
	}
	ui.pending = nil
	ui.phase = ""
}

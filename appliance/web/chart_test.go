package web

import (
	"strconv"
	"strings"
	"testing"

	"missive/appliance"
)

func TestChartGeometry(t *testing.T) {
	t.Parallel()
	weeks := []appliance.WeekCount{{Week: 9, Monday: "2026-02-23", Count: 0}, {Week: 10, Monday: "2026-03-02", Count: 7}, {Week: 11, Monday: "2026-03-09", Count: 3}}
	c := chart("fr", weeks)
	if len(c.Bars) != 3 || c.Total != 10 {
		t.Fatalf("chart %+v", c)
	}
	h := func(b chartBar) float64 { v, _ := strconv.ParseFloat(b.H, 64); return v }
	plot := float64(chartH - chartTop - chartBottom)
	// 7 on an axis topped at 10.
	if got := h(c.Bars[1]); got < plot*0.69 || got > plot*0.71 {
		t.Errorf("bar of 7 is %.1f high, want 70%% of %.1f", got, plot)
	}
	if h(c.Bars[0]) != 0 || h(c.Bars[2]) >= h(c.Bars[1]) {
		t.Errorf("bars %+v", c.Bars)
	}
	if !strings.Contains(c.Summary, "S10: 7") || c.Ticks[len(c.Ticks)-1].Value != 10 {
		t.Errorf("summary %q, ticks %+v", c.Summary, c.Ticks)
	}
}

package web

import (
	"fmt"
	"strconv"
	"strings"

	"missive/appliance"
)

// The home page's chart of letters received per week is an inline SVG drawn
// here: no script, no chart service, readable without CSS, with the same
// numbers in a table for screen readers.

type chartView struct {
	Width, Height int
	Bars          []chartBar
	Ticks         []chartTick
	Summary       string
	Total         int
	BaseY         int
}

type chartBar struct {
	X, Y, W, H   string
	LabelX       string
	Label, Title string
	Week         string
	Count        int
	ValueY       string
}

type chartTick struct {
	Y     string
	Value int
}

const (
	chartW      = 640
	chartH      = 220
	chartLeft   = 36
	chartRight  = 8
	chartTop    = 16
	chartBottom = 28
)

func chart(lang string, weeks []appliance.WeekCount) chartView {
	v := chartView{Width: chartW, Height: chartH, BaseY: chartH - chartBottom}
	top := 0
	for _, w := range weeks {
		top = max(top, w.Count)
		v.Total += w.Count
	}
	top = niceCeil(top)
	plotH := float64(chartH - chartTop - chartBottom)
	slot := float64(chartW-chartLeft-chartRight) / float64(max(len(weeks), 1))
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
	for i, w := range weeks {
		h := plotH * float64(w.Count) / float64(top)
		x := chartLeft + float64(i)*slot + slot*0.15
		y := float64(chartH-chartBottom) - h
		label := fmt.Sprintf("S%d", w.Week)
		v.Bars = append(v.Bars, chartBar{
			X: f(x), Y: f(y), W: f(slot * 0.7), H: f(h), LabelX: f(x + slot*0.35),
			Label: label, Week: tf(lang, "chart.week", w.Week, w.Monday), Count: w.Count,
			Title:  tf(lang, "chart.bar", w.Week, w.Count),
			ValueY: f(y - 4),
		})
	}
	for _, t := range []int{0, top / 2, top} {
		y := float64(chartH-chartBottom) - plotH*float64(t)/float64(top)
		v.Ticks = append(v.Ticks, chartTick{Y: f(y), Value: t})
	}
	parts := make([]string, len(weeks))
	for i, w := range weeks {
		parts[i] = fmt.Sprintf("S%d: %d", w.Week, w.Count)
	}
	v.Summary = tf(lang, "chart.summary", len(weeks), v.Total) + " " + strings.Join(parts, ", ")
	return v
}

// niceCeil rounds an axis maximum up to 1, 2 or 5 times a power of ten.
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	p := 1
	for p*10 <= n {
		p *= 10
	}
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

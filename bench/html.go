package bench

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

// WriteHTML writes a self-contained report: a table, a latency-percentile
// plot and a throughput-over-time plot, drawn as inline SVG (no scripts, no
// external files), so it opens in any browser, offline.
func WriteHTML(w io.Writer, title string, results []*Result) error {
	var table strings.Builder
	WriteTable(&table, results)
	data := struct {
		Title      string
		Generated  string
		Table      string
		Percentile template.HTML
		Throughput template.HTML
		Results    []*Result
	}{
		Title:      title,
		Generated:  time.Now().UTC().Format(time.RFC3339),
		Table:      table.String(),
		Percentile: template.HTML(percentilePlot(results)),
		Throughput: template.HTML(throughputPlot(results)),
		Results:    results,
	}
	return reportTemplate.Execute(w, data)
}

var reportTemplate = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto}
svg{background:#fff;border:1px solid #ddd;margin:1em 0}
.axis{stroke:#999;stroke-width:1}.grid{stroke:#eee;stroke-width:1}
text{font-size:12px;fill:#444}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Generated {{.Generated}} by portico bench. Latencies of open-loop runs are measured from when each request was due (coordinated-omission corrected).</p>
<pre>{{.Table}}</pre>
<h2>Latency by percentile</h2>
{{.Percentile}}
<h2>Throughput over time</h2>
{{.Throughput}}
</body></html>
`))

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

const (
	plotW, plotH                         = 960, 360
	padLeft, padRight, padTop, padBottom = 70, 300, 20, 40
)

// percentilePlot draws latency against percentile, the x axis stretched as
// -log10(1-p) so the tail (99%, 99.9%, 99.99%) gets room.
func percentilePlot(results []*Result) string {
	xOf := func(p float64) float64 { return -math.Log10(1 - math.Min(p, 99.999)/100) } // 0 .. 5
	var maxMs float64
	for _, r := range results {
		for _, s := range r.Spectrum {
			maxMs = math.Max(maxMs, float64(s.Micros)/1000)
		}
	}
	maxMs = niceCeil(maxMs)
	var b strings.Builder
	startPlot(&b, "percentile", "latency (ms)")
	for i, label := range []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		xTick(&b, float64(i)/5, label)
	}
	yTicks(&b, maxMs, "%.2f")
	for i, r := range results {
		var pts []string
		for _, s := range r.Spectrum {
			x := padLeft + xOf(s.Percentile)/5*(plotW-padLeft-padRight)
			y := yPos(float64(s.Micros)/1000, maxMs)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		polyline(&b, i, r.Name, pts)
	}
	b.WriteString("</svg>")
	return b.String()
}

// throughputPlot draws completed requests per second over the run.
func throughputPlot(results []*Result) string {
	var maxN float64
	seconds := 1
	for _, r := range results {
		seconds = max(seconds, len(r.Timeline))
		for _, n := range r.Timeline {
			maxN = math.Max(maxN, float64(n))
		}
	}
	maxN = niceCeil(maxN)
	var b strings.Builder
	startPlot(&b, "second of the run", "requests/s")
	for s := 0; s <= seconds; s += max(1, seconds/10) {
		xTick(&b, float64(s)/float64(seconds), fmt.Sprint(s))
	}
	yTicks(&b, maxN, "%.0f")
	for i, r := range results {
		var pts []string
		for s, n := range r.Timeline {
			x := padLeft + (float64(s)+0.5)/float64(seconds)*(plotW-padLeft-padRight)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, yPos(float64(n), maxN)))
		}
		polyline(&b, i, r.Name, pts)
	}
	b.WriteString("</svg>")
	return b.String()
}

func startPlot(b *strings.Builder, xLabel, yLabel string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, plotW, plotH, plotW, plotH)
	fmt.Fprintf(b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, padLeft, plotH-padBottom, plotW-padRight, plotH-padBottom)
	fmt.Fprintf(b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, padLeft, padTop, padLeft, plotH-padBottom)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, (padLeft+plotW-padRight)/2, plotH-4, template.HTMLEscapeString(xLabel))
	fmt.Fprintf(b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>`, plotH/2, plotH/2, template.HTMLEscapeString(yLabel))
}

// xTick draws a vertical grid line and its label at fraction f (0..1) of
// the x axis.
func xTick(b *strings.Builder, f float64, label string) {
	x := padLeft + f*(plotW-padLeft-padRight)
	fmt.Fprintf(b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
		x, padTop, x, plotH-padBottom, x, plotH-padBottom+16, template.HTMLEscapeString(label))
}

func yPos(v, maxV float64) float64 {
	if maxV <= 0 {
		return plotH - padBottom
	}
	return plotH - padBottom - v/maxV*(plotH-padTop-padBottom)
}

func yTicks(b *strings.Builder, maxV float64, format string) {
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		y := yPos(v, maxV)
		fmt.Fprintf(b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/><text x="%d" y="%.1f" text-anchor="end">`+format+`</text>`,
			padLeft, y, plotW-padRight, y, padLeft-6, y+4, v)
	}
}

func polyline(b *strings.Builder, i int, name string, pts []string) {
	color := palette[i%len(palette)]
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(pts, " "))
	y := padTop + 16 + i*18
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`,
		plotW-padRight+12, y-10, color, plotW-padRight+30, y, template.HTMLEscapeString(name))
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

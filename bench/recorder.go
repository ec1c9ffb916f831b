package bench

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// Latencies are recorded in microseconds from 1 µs to 100 s with three
// significant digits.
const (
	histMin     = 1
	histMax     = 100_000_000
	histSigFigs = 3
)

func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histSigFigs) }

// recorder accumulates one worker's measurements; workers' recorders are
// merged at the end, so recording takes no lock.
type recorder struct {
	hist     *hdrhistogram.Histogram
	start    time.Time // start of measurement
	timeline []int64   // completions per second since start
	status   map[int]int64
	errors   map[string]int64
	done     int64
	bytes    int64
}

func newRecorder(start time.Time) *recorder {
	return &recorder{hist: newHistogram(), start: start, status: map[int]int64{}, errors: map[string]int64{}}
}

// record notes one request: due is when it should have been sent (open
// loop) or when it was sent (closed loop), end when its answer arrived.
func (r *recorder) record(due, end time.Time, status, size int, err error) {
	r.done++
	lat := end.Sub(due).Microseconds()
	if lat < histMin {
		lat = histMin
	}
	if lat > histMax {
		lat = histMax
	}
	_ = r.hist.RecordValue(lat)
	if sec := int(end.Sub(r.start) / time.Second); sec >= 0 {
		for len(r.timeline) <= sec {
			r.timeline = append(r.timeline, 0)
		}
		r.timeline[sec]++
	}
	if err != nil {
		r.errors[errorKind(err)]++
		return
	}
	r.status[status]++
	r.bytes += int64(size)
}

// errorKind classifies a transport error for the report.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, fasthttp.ErrConnectionClosed), strings.Contains(err.Error(), "closed"):
		return "connection closed"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return "no free connections"
	}
	return "other"
}

// merge adds o into r.
func (r *recorder) merge(o *recorder) {
	r.hist.Merge(o.hist)
	for len(r.timeline) < len(o.timeline) {
		r.timeline = append(r.timeline, 0)
	}
	for i, n := range o.timeline {
		r.timeline[i] += n
	}
	for k, v := range o.status {
		r.status[k] += v
	}
	for k, v := range o.errors {
		r.errors[k] += v
	}
	r.done += o.done
	r.bytes += o.bytes
}

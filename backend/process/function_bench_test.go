package process

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/portico/portico/backend"
)

// BenchmarkWarmInvoke is one invocation of a warm aws-lambda-go instance:
// Runtime API round trip, event out, result back. Allocations are Portico's
// side only (the function runs in its own process).
func BenchmarkWarmInvoke(b *testing.B) {
	f, err := New("echo", &Config{Handler: examples["echo"]})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	if err := f.Start(ctx); err != nil {
		b.Fatal(err)
	}
	inv := &backend.Invocation{Function: "echo", Event: []byte(`{"hello":"world"}`), RequestID: "bench"}
	dst, err := f.Invoke(ctx, inv, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if dst, err = f.Invoke(ctx, inv, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdStart measures process start to first response of the hello
// example; it reports the median and p90 as custom metrics.
func BenchmarkColdStart(b *testing.B) {
	var samples []time.Duration
	inv := &backend.Invocation{Function: "hello", Event: []byte(`{}`), RequestID: "bench"}
	for b.Loop() {
		f, err := New("hello", &Config{Handler: examples["hello"]})
		if err == nil {
			err = f.Start(context.Background())
		}
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := f.Invoke(context.Background(), inv, nil); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
		b.StopTimer()
		f.Close()
		b.StartTimer()
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(samples[len(samples)*9/10].Microseconds())/1000, "ms-p90")
}

package metering

import (
	"strings"
	"testing"
	"time"
)

const reqID = "c6af9ac6-7b61-11e6-9a41-93e812345678"

// The lines as Lambda writes them (AWS's documentation of the REPORT
// line, the emulator's START and END): fields separated by tabs, each
// followed by one, Init Duration last.
func TestLogLines(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"start", AppendStartLine(nil, reqID), "START RequestId: " + reqID + " Version: $LATEST"},
		{"end", AppendEndLine(nil, reqID), "END RequestId: " + reqID},
		{"report warm", AppendReportLine(nil, reqID, &Report{
			Duration: 8940 * time.Microsecond, Billed: 9 * time.Millisecond, MemoryMB: 3008, MaxMemoryUsed: 3008 << 20,
		}), "REPORT RequestId: " + reqID + "\tDuration: 8.94 ms\tBilled Duration: 9 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t"},
		{"report cold", AppendReportLine(nil, reqID, &Report{
			Duration: 12340 * time.Microsecond, Init: 120054 * time.Microsecond, Billed: 133 * time.Millisecond, MemoryMB: 128, MaxMemoryUsed: 45<<20 - 1000,
		}), "REPORT RequestId: " + reqID + "\tDuration: 12.34 ms\tBilled Duration: 133 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\tInit Duration: 120.05 ms\t"},
		{"report sub-ms, memory unknown", AppendReportLine(nil, reqID, &Report{
			Duration: 304 * time.Microsecond, Billed: time.Millisecond, MemoryMB: 128,
		}), "REPORT RequestId: " + reqID + "\tDuration: 0.30 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.got) != tt.want {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}

// A parser of REPORT lines that reads them by field name (as the spec
// advises: the emulator puts Init Duration elsewhere) finds every field.
func TestReportLineFields(t *testing.T) {
	line := string(AppendReportLine(nil, reqID, &Report{Duration: 1500 * time.Microsecond, Init: 2 * time.Millisecond, Billed: 4 * time.Millisecond, MemoryMB: 256, MaxMemoryUsed: 70 << 20}))
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimSuffix(line, "\t"), "\t") {
		k, v, ok := strings.Cut(f, ": ")
		if !ok {
			t.Fatalf("field %q has no name", f)
		}
		fields[k] = v
	}
	want := map[string]string{"REPORT RequestId": reqID, "Duration": "1.50 ms", "Billed Duration": "4 ms",
		"Memory Size": "256 MB", "Max Memory Used": "70 MB", "Init Duration": "2.00 ms"}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s: got %q, want %q", k, fields[k], v)
		}
	}
	if len(fields) != len(want) {
		t.Errorf("got fields %v, want %v", fields, want)
	}
}

func TestAppendMillis(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.00"}, {4 * time.Microsecond, "0.00"}, {5 * time.Microsecond, "0.01"}, {10 * time.Microsecond, "0.01"},
		{999995 * time.Nanosecond, "1.00"}, {8940 * time.Microsecond, "8.94"}, {3 * time.Second, "3000.00"},
		{123456789 * time.Nanosecond, "123.46"},
	} {
		if got := string(appendMillis(nil, tt.d)); got != tt.want {
			t.Errorf("appendMillis(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

package metering

import (
	"strconv"
	"time"
)

// Report is one invocation's figures, as its REPORT line gives them.
type Report struct {
	// Duration runs from the event handed to the runtime to its answer.
	Duration time.Duration
	// Init is the environment's init duration on the invocation that
	// started it (a cold start); zero otherwise.
	Init time.Duration
	// Billed is Duration plus Init, rounded up to the granularity.
	Billed time.Duration
	// MemoryMB is the function's memory setting.
	MemoryMB int
	// MaxMemoryUsed is the environment's peak memory in bytes so far (not
	// this invocation's alone, as on Lambda); zero when unknown.
	MaxMemoryUsed int64
}

// AppendStartLine appends the line the platform logs when it hands an
// event to the runtime, as Lambda writes it (no newline):
// "START RequestId: ID Version: $LATEST".
func AppendStartLine(dst []byte, requestID string) []byte {
	dst = append(dst, "START RequestId: "...)
	dst = append(dst, requestID...)
	return append(dst, " Version: $LATEST"...)
}

// AppendEndLine appends the line the platform logs when the invocation
// ends: "END RequestId: ID".
func AppendEndLine(dst []byte, requestID string) []byte {
	dst = append(dst, "END RequestId: "...)
	return append(dst, requestID...)
}

// AppendReportLine appends r as Lambda's REPORT line (no newline): fields
// separated by tabs, each one followed by a tab, durations in ms with two
// decimals, billed duration in whole ms, memory in MB (MiB), and Init
// Duration last on a cold start, where Lambda documents it:
//
//	REPORT RequestId: ID	Duration: 8.94 ms	Billed Duration: 9 ms	Memory Size: 128 MB	Max Memory Used: 18 MB
func AppendReportLine(dst []byte, requestID string, r *Report) []byte {
	dst = append(dst, "REPORT RequestId: "...)
	dst = append(dst, requestID...)
	dst = append(dst, "\tDuration: "...)
	dst = appendMillis(dst, r.Duration)
	dst = append(dst, " ms\tBilled Duration: "...)
	dst = strconv.AppendInt(dst, int64(r.Billed/time.Millisecond), 10)
	dst = append(dst, " ms\tMemory Size: "...)
	dst = strconv.AppendInt(dst, int64(r.MemoryMB), 10)
	dst = append(dst, " MB\tMax Memory Used: "...)
	dst = strconv.AppendInt(dst, int64(MemoryMB(r.MaxMemoryUsed)), 10)
	dst = append(dst, " MB\t"...)
	if r.Init > 0 {
		dst = append(dst, "Init Duration: "...)
		dst = appendMillis(dst, r.Init)
		dst = append(dst, " ms\t"...)
	}
	return dst
}

// appendMillis appends d in milliseconds with two decimals, rounded to
// the nearest hundredth, in integers (no float formatting).
func appendMillis(dst []byte, d time.Duration) []byte {
	hundredths := (int64(d) + 5000) / 10000 // 10 µs
	dst = strconv.AppendInt(dst, hundredths/100, 10)
	frac := hundredths % 100
	dst = append(dst, '.', byte('0'+frac/10), byte('0'+frac%10))
	return dst
}

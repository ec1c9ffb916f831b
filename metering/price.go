package metering

import "time"

// Price is what Lambda charges on demand for one architecture.
type Price struct {
	// PerGBSecond is USD per GB-second of billed duration.
	PerGBSecond float64
	// PerMillionRequests is USD per million invocations.
	PerMillionRequests float64
}

// PricesSource and PricesDate say where Prices come from and when they
// were read.
const (
	PricesSource = "https://aws.amazon.com/lambda/pricing/ (US East (N. Virginia), on-demand, first tier)"
	PricesDate   = "2026-12-01"
)

// Prices are AWS Lambda's published on-demand prices in us-east-1, by
// architecture (see PricesSource and PricesDate). Duration is priced in
// tiers of monthly volume; these are the first tier's prices (the first
// 6 billion GB-seconds a month on x86_64, 7.5 billion on arm64), which
// the later tiers lower by 10% and 20%. Requests cost the same on both architectures. The free tier (1
// million requests and 400,000 GB-seconds a month) is not deducted: an
// estimate prices the load, not an account.
var Prices = map[string]Price{
	ArchX86: {PerGBSecond: 0.0000166667, PerMillionRequests: 0.20},
	ArchARM: {PerGBSecond: 0.0000133334, PerMillionRequests: 0.20},
}

// Billed is duration d rounded up to the granularity, at least one
// granule: what Lambda bills for an invocation that ran d (with its
// init duration added on a cold start, see Meter.Record).
func (c *Config) Billed(d time.Duration) time.Duration {
	g := c.Granularity
	if g <= 0 {
		g = DefaultGranularity
	}
	if d <= 0 {
		return g
	}
	return (d + g - 1) / g * g
}

// GBSeconds is the compute of billed duration d at memoryMB: memory in GB
// (1 GB = 1024 MB, as Lambda counts it) times seconds.
func GBSeconds(memoryMB int, d time.Duration) float64 {
	return float64(memoryMB) / 1024 * d.Seconds()
}

// Cost is the price in USD of requests invocations that were billed
// gbSeconds in all.
func (c *Config) Cost(requests int64, gbSeconds float64) float64 {
	return float64(requests)*c.PricePerMillionRequests/1e6 + gbSeconds*c.PricePerGBSecond
}

// MiB is the unit of Lambda's memory figures: its "MB" are mebibytes.
const MiB = 1 << 20

// MemoryMB is bytes in Lambda's MB (MiB), rounded up, so that a figure
// never reads below what was used.
func MemoryMB(bytes int64) int {
	if bytes <= 0 {
		return 0
	}
	return int((bytes + MiB - 1) / MiB)
}

// Lambda's memory settings: 128 MB to 10,240 MB in 1 MB steps.
const (
	MinMemoryMB = 128
	MaxMemoryMB = 10240
)

// SmallestMemoryMB is the smallest memory setting Lambda accepts that
// holds maxUsed bytes: the peak in whole MB, at least MinMemoryMB; it is
// MaxMemoryMB when nothing smaller holds it.
func SmallestMemoryMB(maxUsed int64) int {
	return min(max(MemoryMB(maxUsed), MinMemoryMB), MaxMemoryMB)
}

package metering

import (
	"math"
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// Config is the root `billing:` block: how local functions' invocations
// are billed and priced. Zero values are defaults (SetDefaults fills them
// in); a price of zero therefore means the architecture's published price,
// not free.
type Config struct {
	// Granularity is what a billed duration is rounded up to, a whole
	// number of milliseconds from 1ms to 1s; default 1ms, Lambda's since
	// December 2020 (100ms before).
	Granularity time.Duration `yaml:"granularity"`
	// Architecture is x86_64 or arm64: which published prices apply by
	// default; default x86_64.
	Architecture string `yaml:"architecture"`
	// PricePerGBSecond is the price in USD of one GB-second of billed
	// duration (memory in GB, 1 GB = 1024 MB, times billed seconds);
	// default the architecture's price (Prices).
	PricePerGBSecond float64 `yaml:"pricePerGBSecond"`
	// PricePerMillionRequests is the price in USD of a million
	// invocations; default the architecture's price (Prices).
	PricePerMillionRequests float64 `yaml:"pricePerMillionRequests"`
}

// The architectures a Config may name.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// DefaultGranularity is Lambda's billing granularity since 1 December 2020.
const DefaultGranularity = time.Millisecond

// maxGranularity bounds Granularity: ten times the largest Lambda ever used.
const maxGranularity = time.Second

// SetDefaults fills in what the block left out: the granularity, the
// architecture, and that architecture's published prices for the prices
// not given.
func (c *Config) SetDefaults() {
	if c.Granularity == 0 {
		c.Granularity = DefaultGranularity
	}
	if c.Architecture == "" {
		c.Architecture = ArchX86
	}
	p, ok := Prices[c.Architecture]
	if !ok {
		return // Validate reports it
	}
	if c.PricePerGBSecond == 0 {
		c.PricePerGBSecond = p.PerGBSecond
	}
	if c.PricePerMillionRequests == 0 {
		c.PricePerMillionRequests = p.PerMillionRequests
	}
}

// Validate reports every problem of the block as *fielderr.Error values,
// with paths relative to it. Call it after SetDefaults.
func (c *Config) Validate() []error {
	var p fielderr.List
	switch g := c.Granularity; {
	case g < time.Millisecond || g > maxGranularity:
		p.Add("granularity", "must be from 1ms to 1s, e.g. 1ms (Lambda today) or 100ms (Lambda before December 2020)")
	case g%time.Millisecond != 0:
		p.Add("granularity", "must be a whole number of milliseconds, e.g. 1ms or 100ms")
	}
	if _, ok := Prices[c.Architecture]; !ok {
		p.Add("architecture", "must be %s or %s", ArchX86, ArchARM)
	}
	checkPrice(&p, "pricePerGBSecond", c.PricePerGBSecond)
	checkPrice(&p, "pricePerMillionRequests", c.PricePerMillionRequests)
	return p
}

// checkPrice reports a price that is negative, or not a number at all
// (YAML's .nan and .inf decode into a float64, and would make every cost
// NaN or infinite).
func checkPrice(p *fielderr.List, field string, v float64) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		p.Add(field, "must be a finite number of USD, e.g. 0.20")
	case v < 0:
		p.Add(field, "must not be negative")
	}
}

// Defaults is the block with every default filled in: Lambda's 1 ms
// granularity and us-east-1 x86_64 prices.
func Defaults() Config {
	var c Config
	c.SetDefaults()
	return c
}

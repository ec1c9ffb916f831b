package metering

// RightSize is the right-sizing hint for a function after a load: the
// peak memory it used against its setting, and what the same invocations
// would cost at the smallest setting that holds that peak.
type RightSize struct {
	// MemoryMB is the function's memory setting.
	MemoryMB int `json:"memory_mb"`
	// MaxMemoryUsedMB is the peak of its environments, in MB (MiB).
	MaxMemoryUsedMB int `json:"max_memory_used_mb"`
	// SmallestMB is the smallest setting that holds the peak (at least
	// 128 MB), with no headroom.
	SmallestMB int `json:"smallest_fitting_mb"`
	// CostPerMillion is the cost of a million invocations at MemoryMB,
	// SmallestCostPerMillion at SmallestMB, both in USD.
	CostPerMillion         float64 `json:"cost_per_million_usd"`
	SmallestCostPerMillion float64 `json:"smallest_cost_per_million_usd"`
}

// RightSizeFor works out the hint for invocations billed gbSecondsPerCall
// GB-seconds each on average at memoryMB, whose environments peaked at
// maxUsed bytes. At SmallestMB it assumes the same billed durations: on
// Lambda CPU share shrinks with memory, so a CPU-bound function may run
// longer there, and the saving is an upper bound.
func (c *Config) RightSizeFor(memoryMB int, gbSecondsPerCall float64, maxUsed int64) RightSize {
	r := RightSize{MemoryMB: memoryMB, MaxMemoryUsedMB: MemoryMB(maxUsed), SmallestMB: SmallestMemoryMB(maxUsed)}
	if maxUsed <= 0 || r.SmallestMB > memoryMB {
		r.SmallestMB = memoryMB // peak unknown, or over the setting: nothing to save
	}
	r.CostPerMillion = c.Cost(1e6, 1e6*gbSecondsPerCall)
	scaled := gbSecondsPerCall
	if memoryMB > 0 {
		scaled = gbSecondsPerCall * float64(r.SmallestMB) / float64(memoryMB)
	}
	r.SmallestCostPerMillion = c.Cost(1e6, 1e6*scaled)
	return r
}

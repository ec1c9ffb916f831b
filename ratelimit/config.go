package ratelimit

import (
	"fmt"
	"math"
	"strings"

	"github.com/portico/portico/internal/fielderr"
	"github.com/portico/portico/internal/httptoken"
	"github.com/portico/portico/internal/redisconf"
)

// Key kinds a Throttle may select its bucket by (Throttle.Key). A header
// key is KeyHeaderPrefix followed by the header name, e.g. "header:X-Tenant".
const (
	KeyRoute        = "route"
	KeyIP           = "ip"
	KeyAPIKey       = "apikey"
	KeyJWTSubject   = "jwt:sub"
	KeyHeaderPrefix = "header:"
)

// Quota periods (Quota.Period). Matching is case-insensitive, so AWS's DAY,
// WEEK and MONTH are accepted too.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// Store kinds (Config.Store) and store-error policies (Config.OnStoreError).
const (
	StoreLocal = "local"
	StoreRedis = "redis"

	OnStoreErrorAllow = "allow"
	OnStoreErrorDeny  = "deny"
)

// Defaults for zero Config fields.
const (
	// DefaultMaxKeys is how many buckets (and, separately, quota counters)
	// a Local store tracks at most when Config.MaxKeys is 0.
	DefaultMaxKeys = 100000
)

// Limits of the values a Throttle accepts.
const (
	// MaxRate is the largest rate, in requests per second: the Redis store
	// keeps time in microseconds, so one token per microsecond.
	MaxRate = 1e6
	// MaxBurst is the largest bucket.
	MaxBurst = 1 << 30
)

// Throttle is a token bucket: `throttle:` at the top of the config (the
// default of every route), on a route, or in a usage plan. A nil *Throttle
// means "inherit"; a Throttle with rate 0 and burst 0 blocks every request,
// as an API Gateway throttle of 0 does.
type Throttle struct {
	// Rate is the steady-state refill in requests per second; it may be
	// fractional (0.5 is one request every two seconds). At most MaxRate.
	Rate float64 `yaml:"rate"`
	// Burst is the bucket size: the most requests served at once, after
	// an idle period. At least 1 when Rate > 0; at most MaxBurst.
	Burst int `yaml:"burst"`
	// Key selects whose bucket a request takes a token from: route (the
	// default, one bucket for the route), ip (the client IP), apikey,
	// jwt:sub (the JWT subject) or header:NAME (the value of a request
	// header). See AppendKey for a request that lacks the key.
	Key string `yaml:"key"`
}

// Limit returns the bucket parameters of the throttle.
func (t *Throttle) Limit() Limit { return Limit{Rate: t.Rate, Burst: t.Burst} }

// Quota is a usage plan's request quota: Limit requests per Period, counted
// per API key, as API Gateway's QuotaSettings.
type Quota struct {
	// Limit is the most requests per period; at least 1.
	Limit int64 `yaml:"limit"`
	// Period is day, week or month (case-insensitive). Periods are calendar
	// periods in UTC: a day starts at 00:00 UTC, a week on Sunday 00:00 UTC,
	// a month on the 1st 00:00 UTC.
	Period string `yaml:"period"`
	// Offset is the number of requests subtracted from Limit in the first
	// period (requests already used elsewhere, e.g. before a migration);
	// 0 to Limit-1, default 0. The first period is the one in which the
	// store first counts the key.
	Offset int `yaml:"offset"`
}

// UsagePlan is one entry of the config's `usagePlans:` map: a throttle and a
// quota applied per API key, either optional.
type UsagePlan struct {
	// Throttle is the per-key bucket; its Key must be empty or apikey.
	Throttle *Throttle `yaml:"throttle"`
	// Quota is the per-key quota.
	Quota *Quota `yaml:"quota"`
}

// Config is the config's `ratelimit:` section: where buckets and quotas
// live.
type Config struct {
	// Store is local (default: this process only) or redis (shared by
	// every replica that uses the same Redis).
	Store string `yaml:"store"`
	// Redis configures the redis store.
	Redis redisconf.Config `yaml:"redis"`
	// OnStoreError is what a request gets when the store fails (Redis down
	// or slow): allow (default) lets it through, deny throttles it.
	OnStoreError string `yaml:"onStoreError"`
	// MaxKeys (local store) caps the buckets tracked at once, and
	// separately the quota counters; idle ones are evicted first. Zero:
	// DefaultMaxKeys.
	MaxKeys int `yaml:"maxKeys"`
}

// Validate reports every problem of the throttle as *fielderr.Error values.
func (t *Throttle) Validate() []error {
	var errs fielderr.List
	switch {
	case math.IsNaN(t.Rate) || math.IsInf(t.Rate, 0):
		errs.Add("rate", "must be a finite number of requests per second")
	case t.Rate < 0:
		errs.Add("rate", "must not be negative")
	case t.Rate > MaxRate:
		errs.Add("rate", "at most %d requests per second", int(MaxRate))
	}
	switch {
	case t.Burst < 0:
		errs.Add("burst", "must not be negative")
	case t.Burst > MaxBurst:
		errs.Add("burst", "at most %d", MaxBurst)
	case t.Rate > 0 && t.Burst == 0:
		errs.Add("burst", "must be at least 1 when rate is set: a bucket of 0 admits nothing (rate: 0, burst: 0 blocks every request)")
	case t.Rate == 0 && t.Burst > 0:
		errs.Add("rate", "must be greater than 0 when burst is set: a bucket that never refills admits %d requests until restart (use a usage-plan quota for a count per period; rate: 0, burst: 0 blocks every request)", t.Burst)
	}
	if msg := keyProblem(t.Key); msg != "" {
		errs.Add("key", "%s", msg)
	}
	return errs
}

// keyProblem says what is wrong with a Throttle.Key, or "".
func keyProblem(k string) string {
	switch k {
	case "", KeyRoute, KeyIP, KeyAPIKey, KeyJWTSubject:
		return ""
	}
	if name, ok := strings.CutPrefix(k, KeyHeaderPrefix); ok {
		if name == "" {
			return "header: needs a header name, e.g. header:X-Tenant"
		}
		if !httptoken.Valid(name) {
			return fmt.Sprintf("%q is not a valid header name", name)
		}
		return ""
	}
	return fmt.Sprintf("unknown key %q (want route, ip, apikey, jwt:sub or header:NAME)", k)
}

// Validate reports every problem of the quota as *fielderr.Error values.
func (q *Quota) Validate() []error {
	var errs fielderr.List
	if q.Limit < 1 {
		errs.Add("limit", "must be at least 1")
	}
	if _, ok := parsePeriod(q.Period); !ok {
		if q.Period == "" {
			errs.Add("period", "required (day, week or month)")
		} else {
			errs.Add("period", "unknown period %q (want day, week or month)", q.Period)
		}
	}
	switch {
	case q.Offset < 0:
		errs.Add("offset", "must not be negative")
	case q.Limit >= 1 && int64(q.Offset) >= q.Limit:
		errs.Add("offset", "must be less than limit (%d)", q.Limit)
	}
	return errs
}

// Validate reports every problem of the plan as *fielderr.Error values, with
// paths such as "throttle.rate" and "quota.period".
func (p *UsagePlan) Validate() []error {
	var errs fielderr.List
	if p.Throttle != nil {
		errs.Nest("throttle", p.Throttle.Validate())
		if k := p.Throttle.Key; k != "" && k != KeyAPIKey {
			errs.Add("throttle.key", "a usage plan throttles per API key; leave key out")
		}
	}
	if p.Quota != nil {
		errs.Nest("quota", p.Quota.Validate())
	}
	return errs
}

// Validate reports every problem of the config as *fielderr.Error values.
func (c *Config) Validate() []error {
	var errs fielderr.List
	switch c.Store {
	case "", StoreLocal:
	case StoreRedis:
		if c.Redis.URL == "" {
			errs.Add("redis.url", "required with store: redis, e.g. redis://127.0.0.1:6379/0")
		}
	default:
		errs.Add("store", "unknown store %q (want local or redis)", c.Store)
	}
	errs.Nest("redis", c.Redis.Validate())
	switch c.OnStoreError {
	case "", OnStoreErrorAllow, OnStoreErrorDeny:
	default:
		errs.Add("onStoreError", "want allow or deny, got %q", c.OnStoreError)
	}
	if c.MaxKeys < 0 {
		errs.Add("maxKeys", "must not be negative")
	}
	return errs
}

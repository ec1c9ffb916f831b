package ratelimit

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/fielderr"
	"github.com/portico/portico/internal/redisconf"
)

// messages renders Validate's errors, one per line.
func messages(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		if _, ok := err.(*fielderr.Error); !ok {
			b.WriteString("(not a *fielderr.Error) ")
		}
		b.WriteString(err.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestThrottleValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		th   Throttle
		want string
	}{
		{"route", Throttle{Rate: 1000, Burst: 2000}, ""},
		{"fractional rate", Throttle{Rate: 0.1, Burst: 1, Key: "apikey"}, ""},
		{"block all", Throttle{}, ""},
		{"every key", Throttle{Rate: 1, Burst: 1, Key: "jwt:sub"}, ""},
		{"header", Throttle{Rate: 1, Burst: 1, Key: "header:X-Tenant"}, ""},
		{"max", Throttle{Rate: MaxRate, Burst: MaxBurst, Key: "ip"}, ""},
		{"negative", Throttle{Rate: -1, Burst: -1}, "rate: must not be negative\nburst: must not be negative\n"},
		{"NaN", Throttle{Rate: math.NaN(), Burst: 1}, "rate: must be a finite number of requests per second\n"},
		{"infinite", Throttle{Rate: math.Inf(1), Burst: 1}, "rate: must be a finite number of requests per second\n"},
		{"too fast", Throttle{Rate: 2e6, Burst: 1}, "rate: at most 1000000 requests per second\n"},
		{"too big", Throttle{Rate: 1, Burst: MaxBurst + 1}, "burst: at most 1073741824\n"},
		{"no burst", Throttle{Rate: 10}, "burst: must be at least 1 when rate is set: a bucket of 0 admits nothing (rate: 0, burst: 0 blocks every request)\n"},
		{"no rate", Throttle{Burst: 10}, "rate: must be greater than 0 when burst is set: a bucket that never refills admits 10 requests until restart (use a usage-plan quota for a count per period; rate: 0, burst: 0 blocks every request)\n"},
		{"unknown key", Throttle{Rate: 1, Burst: 1, Key: "cookie"}, `key: unknown key "cookie" (want route, ip, apikey, jwt:sub or header:NAME)` + "\n"},
		{"header without name", Throttle{Rate: 1, Burst: 1, Key: "header:"}, "key: header: needs a header name, e.g. header:X-Tenant\n"},
		{"bad header name", Throttle{Rate: 1, Burst: 1, Key: "header:X Tenant"}, `key: "X Tenant" is not a valid header name` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(tc.th.Validate()); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func TestQuotaValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    Quota
		want string
	}{
		{"day", Quota{Limit: 10000, Period: "day"}, ""},
		{"AWS spelling", Quota{Limit: 1, Period: "MONTH"}, ""},
		{"offset", Quota{Limit: 10, Period: "week", Offset: 9}, ""},
		{"empty", Quota{}, "limit: must be at least 1\nperiod: required (day, week or month)\n"},
		{"unknown period", Quota{Limit: 1, Period: "year"}, `period: unknown period "year" (want day, week or month)` + "\n"},
		{"negative offset", Quota{Limit: 1, Period: "day", Offset: -1}, "offset: must not be negative\n"},
		{"offset too big", Quota{Limit: 10, Period: "day", Offset: 10}, "offset: must be less than limit (10)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(tc.q.Validate()); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func TestUsagePlanValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    UsagePlan
		want string
	}{
		{"gold", UsagePlan{Throttle: &Throttle{Rate: 100, Burst: 200}, Quota: &Quota{Limit: 10000, Period: "day"}}, ""},
		{"neither", UsagePlan{}, ""},
		{"apikey key", UsagePlan{Throttle: &Throttle{Rate: 1, Burst: 1, Key: "apikey"}}, ""},
		{"paths", UsagePlan{Throttle: &Throttle{Rate: -1, Burst: 1, Key: "ip"}, Quota: &Quota{Limit: 1}},
			"throttle.rate: must not be negative\nthrottle.key: a usage plan throttles per API key; leave key out\nquota.period: required (day, week or month)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(tc.p.Validate()); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"zero", Config{}, ""},
		{"local", Config{Store: "local", OnStoreError: "deny", MaxKeys: 10}, ""},
		{"redis", Config{Store: "redis", Redis: redisconf.Config{URL: "redis://:secret@127.0.0.1:6379/0", Timeout: 20 * time.Millisecond, PoolSize: 50}}, ""},
		{"rediss", Config{Store: "redis", Redis: redisconf.Config{URL: "rediss://cache.example.com:6380"}}, ""},
		{"unknown store", Config{Store: "memcached"}, `store: unknown store "memcached" (want local or redis)` + "\n"},
		{"redis without url", Config{Store: "redis"}, "redis.url: required with store: redis, e.g. redis://127.0.0.1:6379/0\n"},
		{"http url", Config{Store: "redis", Redis: redisconf.Config{URL: "http://127.0.0.1:6379"}}, `redis.url: want redis://host:port/db, rediss:// or unix://, got scheme "http"` + "\n"},
		{"bad db", Config{Store: "redis", Redis: redisconf.Config{URL: "redis://127.0.0.1:6379/x"}}, `redis.url: redis url: redis: invalid database number: "x"` + "\n"},
		{"password not shown", Config{Store: "redis", Redis: redisconf.Config{URL: "redis://:secret@127.0.0.1:6379/%zz"}}, "redis.url: not a valid URL\n"},
		{"negatives", Config{Redis: redisconf.Config{Timeout: -1, PoolSize: -1}, MaxKeys: -1},
			"redis.timeout: must not be negative\nredis.poolSize: must not be negative\nmaxKeys: must not be negative\n"},
		{"policy", Config{OnStoreError: "ignore"}, `onStoreError: want allow or deny, got "ignore"` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(tc.c.Validate()); got != tc.want {
				t.Errorf("got:\n%swant:\n%s", got, tc.want)
			}
		})
	}
}

// Every config field has a yaml tag in lowerCamel case, as the gateway's
// strict decoder expects.
func TestConfigYAMLTags(t *testing.T) {
	for _, v := range []any{Throttle{}, Quota{}, UsagePlan{}, Config{}, redisconf.Config{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("yaml")
			want := strings.ToLower(f.Name[:1]) + f.Name[1:]
			if f.Name == strings.ToUpper(f.Name) { // an initialism: URL → url
				want = strings.ToLower(f.Name)
			}
			if tag != want {
				t.Errorf("%s.%s: yaml tag %q, want %q", typ.Name(), f.Name, tag, want)
			}
		}
	}
}

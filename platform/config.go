package platform

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/portico/portico/async"
	"github.com/portico/portico/backend/kind"
	"github.com/portico/portico/config"
	"github.com/portico/portico/eventsource"
	"github.com/portico/portico/gateway"
	"github.com/portico/portico/internal/redisconf"
	"github.com/portico/portico/invokeapi"
	"github.com/portico/portico/metering"
	"github.com/portico/portico/ratelimit"
	"github.com/portico/portico/schedule"
)

// Config is the root of a Portico config file: the gateway's settings and
// the functions every way in invokes.
type Config struct {
	gateway.Config `yaml:",inline"`
	// Functions are the functions routes and authorizers invoke, by name;
	// each one's `backend:` selects the kind that decodes the rest of its
	// block.
	Functions map[string]*kind.Function `yaml:"functions"`
	// Redis is the state every replica shares: async queues (and the
	// rate-limit store when ratelimit.store is redis and ratelimit.redis
	// is not given). Nil: each replica keeps its own, in memory.
	Redis *redisconf.Config `yaml:"redis"`
	// Async runs Event invocations: workers, queue bound, retry delays.
	Async async.Settings `yaml:"async"`
	// InvokeAPI serves the Lambda Invoke API for every function; nil: off.
	InvokeAPI *invokeapi.Config `yaml:"invokeApi"`
	// Schedules invoke functions on a clock (rate() and cron()), through
	// the async queue, once per tick across the replicas sharing Redis.
	Schedules []schedule.Config `yaml:"schedules"`
	// Billing is how local (process) functions' invocations are metered
	// and priced: their REPORT lines, the portico_function_* metrics, the
	// cost estimates. Defaults: Lambda's 1 ms granularity and us-east-1
	// x86_64 prices (metering.Prices).
	Billing metering.Config `yaml:"billing"`
	// EventSources are queues (SQS, Redis Streams) whose messages invoke
	// functions synchronously in SQS-shaped batches.
	EventSources []eventsource.Config `yaml:"eventSources"`

	file string
}

// File is the path the config was loaded from.
func (c *Config) File() string { return c.file }

// Load reads, decodes, defaults and validates a config file. The error joins
// every problem, each as FILE:LINE:COL: path: message. Relative paths in the
// file resolve against its folder.
func Load(file string) (*Config, error) {
	c := &Config{file: file}
	pos, err := config.Load(file, c)
	if err != nil && !errors.As(err, new(*config.Error)) {
		return nil, err // the file could not be read
	}
	return c.finish(pos, err)
}

// Parse is Load on bytes already read; lookup expands ${VAR} (nil: the
// environment), and relative paths resolve against file's folder.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c := &Config{file: file}
	pos, err := config.Decode(file, data, c, config.WithLookup(lookup), config.WithDir(dir))
	return c.finish(pos, err)
}

// finish defaults and validates a decoded config. It validates what did
// decode too, so that every problem is reported at once.
func (c *Config) finish(pos config.Positions, decodeErr error) (*Config, error) {
	c.setDefaults()
	names := slices.Sorted(maps.Keys(c.Functions))
	problems := c.Config.Validate(c.file, pos, names)
	for _, name := range names {
		problems = append(problems, c.validateFunction(pos, name)...)
	}
	problems = append(problems, c.validateShared(pos)...)
	if err := config.Merge(decodeErr, problems); err != nil {
		return nil, err
	}
	return c, nil
}

// setDefaults fills in what the file left out, the rate-limit store's
// Redis from the shared one first, so that ratelimit's own checks see it.
func (c *Config) setDefaults() {
	if rl := &c.RateLimit; rl.Store == ratelimit.StoreRedis && rl.Redis.URL == "" && c.Redis != nil {
		rl.Redis = *c.Redis
	}
	c.SetDefaults()
	c.Async.SetDefaults()
	c.Billing.SetDefaults()
}

// validateShared checks the parts every way in shares: Redis, the async
// settings and the Invoke API.
func (c *Config) validateShared(pos config.Positions) []error {
	var errs []error
	if c.Redis != nil {
		if c.Redis.URL == "" {
			errs = append(errs, pos.Errorf(c.file, "redis.url", "required, e.g. redis://127.0.0.1:6379/0"))
		}
		errs = append(errs, pos.Place(c.file, "redis", c.Redis.Validate())...)
	}
	if c.InvokeAPI != nil {
		errs = append(errs, pos.Place(c.file, "invokeApi", c.InvokeAPI.Validate())...)
	} else if len(c.Routes) == 0 && len(c.Schedules) == 0 && len(c.EventSources) == 0 {
		errs = append(errs, pos.Errorf(c.file, "routes", "no routes, schedules, eventSources or invokeApi: nothing would invoke the functions; add a route, e.g. {route: $default, function: NAME}, or invokeApi: {listen: 127.0.0.1:3001}"))
	}
	errs = append(errs, c.validateSchedules(pos)...)
	errs = append(errs, c.validateEventSources(pos)...)
	errs = append(errs, pos.Place(c.file, "billing", c.Billing.Validate())...)
	return append(errs, pos.Place(c.file, "async", c.Async.Validate())...)
}

// validateSchedules checks each schedule and that it names a function of
// the config and a name no other schedule has.
func (c *Config) validateSchedules(pos config.Positions) []error {
	var errs []error
	seen := map[string]int{}
	for i := range c.Schedules {
		sc := &c.Schedules[i]
		path := fmt.Sprintf("schedules[%d]", i)
		errs = append(errs, pos.Place(c.file, path, sc.Validate())...)
		errs = append(errs, c.checkFunction(pos, path+".function", sc.Function)...)
		if j, dup := seen[sc.Name]; dup && sc.Name != "" {
			errs = append(errs, pos.Errorf(c.file, path+".name", "schedule %q is already schedules[%d]", sc.Name, j))
		} else {
			seen[sc.Name] = i
		}
	}
	return errs
}

// validateEventSources checks each event source, that it names a function
// of the config, and that a Redis stream has a Redis to read.
func (c *Config) validateEventSources(pos config.Positions) []error {
	var errs []error
	for i := range c.EventSources {
		es := &c.EventSources[i]
		path := fmt.Sprintf("eventSources[%d]", i)
		errs = append(errs, pos.Place(c.file, path, es.Validate())...)
		errs = append(errs, c.checkFunction(pos, path+".function", es.Function)...)
		if es.Type == eventsource.TypeRedis && c.Redis == nil {
			errs = append(errs, pos.Errorf(c.file, path+".type", "type redis reads a stream of the root redis: block; add redis: {url: redis://HOST:6379/0}"))
		}
		// As Lambda refuses a mapping whose queue's visibility timeout is
		// shorter than the function's timeout: an entry would be claimed
		// again while its first invocation still runs.
		if fn := c.Functions[es.Function]; es.Type == eventsource.TypeRedis && fn != nil {
			if t := fn.Describe().Timeout; t > es.VisibilityTimeoutOrDefault() {
				errs = append(errs, pos.Errorf(c.file, path+".visibilityTimeout", "%s is shorter than function %s's timeout %s: an entry would be claimed again while it runs; set visibilityTimeout to at least %s", es.VisibilityTimeoutOrDefault(), es.Function, t, t))
			}
		}
	}
	return errs
}

// checkFunction reports name, the value at path, when it names no function
// of the config (empty is the part's own check to report).
func (c *Config) checkFunction(pos config.Positions, path, name string) []error {
	if name == "" || c.Functions[name] != nil {
		return nil
	}
	return []error{pos.Errorf(c.file, path, "unknown function %q%s", name, config.Suggest(name, slices.Sorted(maps.Keys(c.Functions))))}
}

// validateFunction places the problems of one function's config.
func (c *Config) validateFunction(pos config.Positions, name string) []error {
	path := "functions." + name
	fn := c.Functions[name]
	if fn == nil {
		return []error{pos.Errorf(c.file, path, "empty function")}
	}
	errs := pos.Place(c.file, path, fn.Validate())
	if fn.Async != nil {
		for _, d := range []struct {
			key  string
			dest *async.Destination
		}{{"onSuccess", fn.Async.OnSuccess}, {"onFailure", fn.Async.OnFailure}} {
			if d.dest == nil || d.dest.Function == "" {
				continue
			}
			at := path + ".async." + d.key + ".function"
			if unknown := c.checkFunction(pos, at, d.dest.Function); unknown != nil {
				errs = append(errs, unknown...)
			} else if back := c.destinationPath(d.dest.Function, name); back != nil {
				errs = append(errs, pos.Errorf(c.file, at, "destinations lead back to this function (%s): each record carries the one before it, so they would grow without end",
					strings.Join(append([]string{name}, back...), " → ")))
			}
		}
	}
	return errs
}

// destinationPath is the shortest chain of async destinations from
// function from to function to, both included; nil when there is none.
// A cycle of destinations never ends: each record becomes the next
// function's event and is carried whole in that function's record, so
// the records double in size at each turn.
func (c *Config) destinationPath(from, to string) []string {
	parent := map[string]string{from: ""}
	for todo := []string{from}; len(todo) > 0; todo = todo[1:] {
		n := todo[0]
		if n == to {
			var path []string
			for ; n != ""; n = parent[n] {
				path = append(path, n)
			}
			slices.Reverse(path)
			return path
		}
		fn := c.Functions[n]
		if fn == nil || fn.Async == nil {
			continue
		}
		for _, d := range []*async.Destination{fn.Async.OnSuccess, fn.Async.OnFailure} {
			if d == nil {
				continue
			}
			if _, seen := parent[d.Function]; !seen {
				parent[d.Function] = n
				todo = append(todo, d.Function)
			}
		}
	}
	return nil
}

// RouteInfos lists the routes, in config order, without starting any
// function.
func (c *Config) RouteInfos() []gateway.RouteInfo {
	return c.Config.RouteInfos(func(name string) string {
		if fn := c.Functions[name]; fn != nil {
			return fn.Backend
		}
		return ""
	})
}

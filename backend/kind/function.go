package kind

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/portico/portico/async"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/fielderr"
	"github.com/portico/portico/metering"
)

// Function is one entry of `functions:`: its backend kind and that kind's
// settings. Decoding it (a config.Union) reads `backend:` first and decodes
// the rest of the block into that kind's config.
type Function struct {
	// Backend is the kind's name: builtin, http, process or lambda.
	Backend string
	// Spec is the kind's config, e.g. *builtin.Config.
	Spec Spec
	// Async is the function's `async:` block, which every kind takes: how
	// its Event invocations are retried and where their records go. Nil:
	// Lambda's defaults.
	Async *async.Config
}

// block is what a function's keys decode into: the kind's own config and
// the keys every kind shares.
type block[C any] struct {
	Spec  C             `yaml:",inline"`
	Async *async.Config `yaml:"async"`
}

func (b *block[C]) parts() (any, *async.Config) { return &b.Spec, b.Async }

// ResolvePaths passes the decoder's call on to the kind's config, whose
// keys it inlines (see config.PathResolver).
func (b *block[C]) ResolvePaths(dir string) {
	if r, ok := any(&b.Spec).(interface{ ResolvePaths(dir string) }); ok {
		r.ResolvePaths(dir)
	}
}

// Spec is a kind's config (*builtin.Config, *httpbackend.Config,
// *process.Config, *awslambda.Config).
type Spec interface {
	// Validate reports every problem as *fielderr.Error values, with
	// paths relative to the function's block.
	Validate() []error
}

// Options are what building needs beyond the config; zero values are
// defaults.
type Options struct {
	// Log is the parent of the kinds' loggers. Default: discard.
	Log *zap.Logger
	// AccountID is the account in process functions' ARNs. Default
	// awsdefault.AccountID.
	AccountID string
	// Billing is how process functions' invocations are metered and
	// priced (their REPORT lines). Default: metering.Defaults().
	Billing metering.Config
	// Region is process functions' AWS_REGION and the region in their
	// ARNs. Default awsdefault.Region(). Lambda functions take theirs from
	// their config or the AWS configuration.
	Region string
}

// UnionKey is the key that selects the kind.
func (f *Function) UnionKey() string { return "backend" }

// UnionKinds are the kinds' names, in the order messages list them.
func (f *Function) UnionKinds() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return names
}

// NewKind returns an empty config of kind, or nil for an unknown kind.
func (f *Function) NewKind(kind string) any {
	if d := lookup(kind); d != nil {
		return d.newSpec()
	}
	return nil
}

// SetKind stores the config decoded for kind, which NewKind returned.
func (f *Function) SetKind(kind string, v any) {
	f.Backend = kind
	if b, ok := v.(interface{ parts() (any, *async.Config) }); ok {
		spec, a := b.parts()
		f.Spec, _ = spec.(Spec)
		f.Async = a
	}
}

// Validate reports every problem of the kind's config. A missing or unknown
// backend is the decoder's to report, so a function without a config has
// nothing more to say.
func (f *Function) Validate() []error {
	if f.Spec == nil {
		return nil
	}
	errs := f.Spec.Validate()
	if f.Async != nil {
		var async fielderr.List
		async.Nest("async", f.Async.Validate())
		errs = append(errs, async...)
	}
	return errs
}

// Describe is what the Invoke API tells of the function (GetFunction).
func (f *Function) Describe() backend.Description {
	var d backend.Description
	if s, ok := f.Spec.(backend.Describer); ok {
		d = s.Describe()
	}
	d.Backend = f.Backend
	return d
}

// Concurrency is the cap the gateway enforces for kinds that cannot limit
// themselves (builtin, http, lambda); 0 for none and for process, which
// limits its own instances.
func (f *Function) Concurrency() int {
	if d := lookup(f.Backend); d != nil && d.concurrency != nil && f.Spec != nil {
		return d.concurrency(f.Spec)
	}
	return 0
}

// Build returns the invoker of the function called name. It does no I/O:
// Start does that, see backend.Starter.
func (f *Function) Build(name string, o Options) (backend.Invoker, error) {
	d := lookup(f.Backend)
	if d == nil || f.Spec == nil {
		return nil, fmt.Errorf("backend %s is not available", f.Backend)
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return d.build(name, f.Spec, o)
}

package kind

import (
	"fmt"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/awslambda"
	"github.com/portico/portico/backend/builtin"
	"github.com/portico/portico/backend/httpbackend"
	"github.com/portico/portico/backend/process"
)

// kinds are the backend kinds, in the order messages list them.
var kinds = []def{
	define("builtin", func(_ string, c *builtin.Config, _ Options) (backend.Invoker, error) {
		return builtin.New(c)
	}, func(c *builtin.Config) int { return c.Concurrency }),
	define("http", func(_ string, c *httpbackend.Config, _ Options) (backend.Invoker, error) {
		return invoker(httpbackend.New(c))
	}, func(c *httpbackend.Config) int { return c.Concurrency }),
	define("process", buildProcess, nil),
	define("lambda", func(name string, c *awslambda.Config, _ Options) (backend.Invoker, error) {
		return invoker(awslambda.New(name, c))
	}, func(c *awslambda.Config) int { return c.Concurrency }),
}

func buildProcess(name string, c *process.Config, o Options) (backend.Invoker, error) {
	opts := []process.Option{process.WithLogger(o.Log.Named("backend.process")), process.WithBilling(o.Billing)}
	if o.AccountID != "" {
		opts = append(opts, process.WithAccountID(o.AccountID))
	}
	if o.Region != "" {
		opts = append(opts, process.WithRegion(o.Region))
	}
	return invoker(process.New(name, c, opts...))
}

// invoker returns v as a backend.Invoker, and no typed nil on an error.
func invoker[T backend.Invoker](v T, err error) (backend.Invoker, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// def is one backend kind.
type def struct {
	name string
	// newSpec returns an empty *block of the kind, for the decoder.
	newSpec func() any
	// build returns the invoker of a function named name whose config is
	// spec, which newSpec returned.
	build func(name string, spec Spec, o Options) (backend.Invoker, error)
	// concurrency is the cap the gateway enforces; nil for a kind that
	// limits itself.
	concurrency func(spec Spec) int
}

// define makes the def of kind name, whose config is a *C.
func define[C any, P interface {
	*C
	Spec
}](name string, build func(string, P, Options) (backend.Invoker, error), concurrency func(P) int) def {
	d := def{
		name:    name,
		newSpec: func() any { return new(block[C]) },
		build: func(fn string, spec Spec, o Options) (backend.Invoker, error) {
			c, ok := spec.(P)
			if !ok {
				return nil, fmt.Errorf("BUG: backend %s given a %T", name, spec)
			}
			return build(fn, c, o)
		},
	}
	if concurrency != nil {
		d.concurrency = func(spec Spec) int {
			if c, ok := spec.(P); ok {
				return concurrency(c)
			}
			return 0
		}
	}
	return d
}

// lookup returns the kind named name, or nil.
func lookup(name string) *def {
	for i := range kinds {
		if kinds[i].name == name {
			return &kinds[i]
		}
	}
	return nil
}

package bench

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Target is one URL load is sent to; Weight is its share (default 1).
type Target struct {
	URL    string
	Weight int
}

// Options describes one load run.
type Options struct {
	Targets     []Target
	Method      string            // default GET
	Headers     map[string]string // sent with every request
	Body        []byte
	Connections int           // concurrent connections; default 64
	Duration    time.Duration // measured run length; default 10s unless Requests is set
	Requests    int64         // stop after this many measured requests (0: use Duration)
	Rate        float64       // requests per second in total; 0 = closed loop
	WarmUp      time.Duration // load sent before measuring; default 0
	Timeout     time.Duration // per request; default 10s
	// Progress, when set, is called about once a second with the requests
	// completed so far and the elapsed measured time.
	Progress func(done int64, elapsed time.Duration)
	// Window, when set, is called with true just before the first measured
	// request is sent and with false once the last one has been answered
	// (never with false without true first): a scenario reads its
	// targets' CPU time there, so that the warm-up does not count.
	Window func(open bool)
}

func (o *Options) setDefaults() {
	if o.Method == "" {
		o.Method = "GET"
	}
	if o.Connections == 0 {
		o.Connections = 64
	}
	if o.Duration == 0 && o.Requests == 0 {
		o.Duration = 10 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	for i := range o.Targets {
		if o.Targets[i].Weight == 0 {
			o.Targets[i].Weight = 1
		}
	}
}

// Validate reports every problem of the options.
func (o *Options) Validate() error {
	var errs []error
	if len(o.Targets) == 0 {
		errs = append(errs, errors.New("no target URL"))
	}
	for _, t := range o.Targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("target %q: want an absolute http:// URL", t.URL))
		}
		if t.Weight < 0 {
			errs = append(errs, fmt.Errorf("target %q: negative weight", t.URL))
		}
	}
	if o.Connections < 0 || o.Rate < 0 || o.Duration < 0 || o.Requests < 0 || o.WarmUp < 0 {
		errs = append(errs, errors.New("connections, rate, duration, requests and warm-up must not be negative"))
	}
	return errors.Join(errs...)
}

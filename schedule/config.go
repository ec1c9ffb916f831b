package schedule

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// Config is one entry of `schedules:`: a function invoked asynchronously
// at each tick of an expression.
type Config struct {
	// Name names the schedule as an EventBridge rule name: 1-64 of
	// . - _ A-Z a-z 0-9. The rule ARN of the event ends with it, and the
	// lock of each tick is keyed by it.
	Name string `yaml:"name"`
	// Function is the function of the config to invoke.
	Function string `yaml:"function"`
	// Expression is rate(value unit) or cron(Minutes Hours Day-of-month
	// Month Day-of-week Year) (Parse).
	Expression string `yaml:"expression"`
	// Input, when set, is the JSON value the function receives instead of
	// the Scheduled Event, as a rule target's constant input; nil: the
	// Scheduled Event.
	Input any `yaml:"input"`
	// Timezone is the IANA time zone a cron() is read in
	// (America/New_York); empty: UTC. A rate() counts elapsed time and
	// ignores it.
	Timezone string `yaml:"timezone"`
}

// ruleName is EventBridge's pattern for a rule name.
var ruleName = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,64}$`)

// Validate reports every problem as *fielderr.Error values. That Function
// names a function of the config, and that names are unique, is the
// composing config's check.
func (c *Config) Validate() []error {
	var errs fielderr.List
	switch {
	case c.Name == "":
		errs.Add("name", "required")
	case !ruleName.MatchString(c.Name):
		errs.Add("name", "must be 1-64 letters, digits, '.', '-' or '_' (an EventBridge rule name), got %q", c.Name)
	}
	if c.Function == "" {
		errs.Add("function", "required: the function to invoke")
	}
	if c.Expression == "" {
		errs.Add("expression", "required: rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year)")
	} else if _, err := Parse(c.Expression); err != nil {
		errs.Add("expression", "%v", err)
	}
	if _, err := c.Location(); err != nil {
		errs.Add("timezone", "%v", err)
	}
	if _, err := c.payload(); err != nil {
		errs.Add("input", "%v", err)
	}
	return errs
}

// Location is the schedule's time zone: UTC without one.
func (c *Config) Location() (*time.Location, error) {
	if c.Timezone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q, want an IANA name such as Europe/Paris", c.Timezone)
	}
	return loc, nil
}

// payload is Input as JSON, nil without one.
func (c *Config) payload() ([]byte, error) {
	if c.Input == nil {
		return nil, nil
	}
	b, err := json.Marshal(c.Input)
	if err != nil {
		return nil, fmt.Errorf("not a JSON value: %v", err)
	}
	return b, nil
}

// Next returns the schedule's next n ticks strictly after after, on its
// time zone's clock (fewer when the expression runs out), without starting
// anything: what `portico schedules -n N` prints. The error is Validate's
// first problem with the expression or the time zone.
func (c *Config) Next(after time.Time, n int) ([]time.Time, error) {
	e, err := Parse(c.Expression)
	if err != nil {
		return nil, err
	}
	loc, err := c.Location()
	if err != nil {
		return nil, err
	}
	var ticks []time.Time
	for at := after; len(ticks) < n; {
		if at = e.Next(at, loc); at.IsZero() {
			break
		}
		ticks = append(ticks, at)
	}
	return ticks, nil
}

package schedule

import (
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Name: "nightly", Function: "orders", Expression: "cron(0 3 * * ? *)"}
	for _, tc := range []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{"valid", func(c *Config) {}, nil},
		{"valid with input and zone", func(c *Config) {
			c.Name, c.Input, c.Timezone = "a.b-c_D9", map[string]any{"kind": "tick"}, "Europe/Paris"
		}, nil},
		{"64 characters", func(c *Config) { c.Name = string(make64('x')) }, nil},
		{"nothing", func(c *Config) { *c = Config{} }, []string{
			"name: required",
			"function: required: the function to invoke",
			"expression: required: rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year)",
		}},
		{"name with a slash", func(c *Config) { c.Name = "a/b" }, []string{
			`name: must be 1-64 letters, digits, '.', '-' or '_' (an EventBridge rule name), got "a/b"`,
		}},
		{"65 characters", func(c *Config) { c.Name = string(make64('x')) + "y" }, []string{
			`name: must be 1-64 letters, digits, '.', '-' or '_' (an EventBridge rule name), got "` + string(make64('x')) + `y"`,
		}},
		{"bad expression", func(c *Config) { c.Expression = "rate(1 hours)" }, []string{
			`expression: rate(1 hours): a value of 1 takes the singular unit "hour"`,
		}},
		{"bad zone", func(c *Config) { c.Timezone = "Mars/Olympus" }, []string{
			`timezone: unknown time zone "Mars/Olympus", want an IANA name such as Europe/Paris`,
		}},
		{"input that is not JSON", func(c *Config) { c.Input = map[any]any{1: "x"} }, []string{
			"input: not a JSON value: json: unsupported type: map[interface {}]interface {}",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			testkit.ErrorsAre(t, c.Validate(), tc.want)
		})
	}
}

func make64(b byte) []byte {
	s := make([]byte, 64)
	for i := range s {
		s[i] = b
	}
	return s
}

// TestConfigNext is what `portico schedules -n N` prints: ticks on the
// schedule's clock, computed without a Scheduler.
func TestConfigNext(t *testing.T) {
	c := Config{Name: "n", Function: "f", Expression: "cron(0 9 ? * MON-FRI *)", Timezone: "America/New_York"}
	got, err := c.Next(from, 3)
	if err != nil {
		t.Fatal(err)
	}
	// from is 05:07 in New York, a Friday.
	want := []string{"2026-02-27T09:00:00-05:00", "2026-03-02T09:00:00-05:00", "2026-03-03T09:00:00-05:00"}
	for i, g := range got {
		if i >= len(want) || g.Format(time.RFC3339) != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	c.Expression = "cron(0 0 1 1 ? 2020)"
	if got, err := c.Next(from, 3); err != nil || len(got) != 0 {
		t.Errorf("a past year: got %v, %v, want none", got, err)
	}
	c.Expression = "cron(bad)"
	if _, err := c.Next(from, 3); err == nil {
		t.Error("a bad expression: no error")
	}
}

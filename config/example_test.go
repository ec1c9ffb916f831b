package config_test

import (
	"fmt"
	"time"

	"github.com/portico/portico/config"
)

// Server is a part of a config, as a package that owns it declares it: with
// struct tags only.
type Server struct {
	Listen  string        `yaml:"listen"`
	Timeout time.Duration `yaml:"timeout"`
	Root    string        `yaml:"root" config:"path"`
	Hosts   []string      `yaml:"hosts" config:"scalarlist"`
}

func Example() {
	env := map[string]string{"PORT": "8080"}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }

	var s Server
	_, err := config.Decode("/srv/site.yaml", []byte(`
listen: ":${PORT}"
timeout: 30s
root: ./public
hosts: example.com
`), &s, config.WithLookup(lookup), config.WithDir("/srv"))
	fmt.Println(s.Listen, s.Timeout, s.Root, s.Hosts, err)

	_, err = config.Decode("site.yaml", []byte(`
listen: ${ADDR}
timeout: 30
hots: [a, b]
`), &s, config.WithLookup(lookup))
	fmt.Println(err)
	// Output:
	// :8080 30s /srv/public [example.com] <nil>
	// site.yaml:2:9: listen: ${ADDR} is not set
	// site.yaml:3:10: timeout: invalid duration "30": want a number with a unit, such as "30s", "250ms" or "1m30s"
	// site.yaml:4:1: unknown field "hots" (did you mean "hosts"?)
}

// A problem found after decoding is reported at the position of the value
// it is about, among the decoding problems.
func ExampleMerge() {
	var s Server
	pos, err := config.Decode("site.yaml", []byte("listen: ''\ntimeout: -1s\nroot: [x]\n"), &s)
	var more []error
	if s.Listen == "" {
		more = append(more, pos.Errorf("site.yaml", "listen", "required"))
	}
	if s.Timeout < 0 {
		more = append(more, pos.Errorf("site.yaml", "timeout", "must not be negative"))
	}
	fmt.Println(config.Merge(err, more))
	// Output:
	// site.yaml:1:9: listen: required
	// site.yaml:2:10: timeout: must not be negative
	// site.yaml:3:7: root: expected a string, got a list
}

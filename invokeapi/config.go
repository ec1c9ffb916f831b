package invokeapi

import (
	"net"
	"strconv"

	"github.com/portico/portico/internal/fielderr"
	"github.com/portico/portico/internal/loopback"
)

// Config is the root config's `invokeApi:` block. Absent, the Invoke API is
// off.
type Config struct {
	// Listen is the host:port the API listens on, e.g. 127.0.0.1:3001.
	// Required.
	Listen string `yaml:"listen"`
	// Credentials, when given, are the only keys whose AWS Signature
	// Version 4 signatures are accepted; every request must be signed with
	// one of them. Empty: every request is served, signed or not.
	Credentials []Credential `yaml:"credentials"`
	// AllowUnsigned lets an API without credentials listen on an address
	// other than loopback. Default false: that is a config error, since
	// anyone who reaches the port could run every function.
	AllowUnsigned bool `yaml:"allowUnsigned"`
}

// Credential is one access key that may sign requests.
type Credential struct {
	// AccessKeyID is the key id a client puts in its signature's
	// Credential= scope (the SDK's AWS_ACCESS_KEY_ID). Required.
	AccessKeyID string `yaml:"accessKeyId"`
	// SecretAccessKey is the secret the client signs with. Required.
	SecretAccessKey string `yaml:"secretAccessKey"`
}

// Validate reports every problem of the block as *fielderr.Error values,
// with paths relative to the block.
func (c *Config) Validate() []error {
	var p fielderr.List
	host, ok := c.validListen(&p)
	if ok && len(c.Credentials) == 0 && !c.AllowUnsigned && !loopback.Host(host) {
		p.Add("listen", "%q is not a loopback address: set credentials, or allowUnsigned: true to serve unsigned requests to the network", c.Listen)
	}
	seen := make(map[string]bool, len(c.Credentials))
	for i, cr := range c.Credentials {
		path := "credentials[" + strconv.Itoa(i) + "]"
		if cr.AccessKeyID == "" {
			p.Add(path+".accessKeyId", "required")
		} else if seen[cr.AccessKeyID] {
			p.Add(path+".accessKeyId", "duplicate key id %q", cr.AccessKeyID)
		}
		seen[cr.AccessKeyID] = true
		if cr.SecretAccessKey == "" {
			p.Add(path+".secretAccessKey", "required")
		}
	}
	return p
}

// validListen checks Listen and returns its host.
func (c *Config) validListen(p *fielderr.List) (string, bool) {
	if c.Listen == "" {
		p.Add("listen", "required (host:port, e.g. 127.0.0.1:3001)")
		return "", false
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		p.Add("listen", "want host:port, got %q", c.Listen)
		return "", false
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.Add("listen", "invalid port %q", port)
		return "", false
	}
	return host, true
}

package cors

import (
	"fmt"
	"strings"

	"github.com/portico/portico/internal/fielderr"
	"github.com/portico/portico/internal/httptoken"
)

// Config is an HTTP API's built-in CORS configuration (API Gateway's
// CorsConfiguration). With it, the gateway answers preflight requests
// itself and puts the configured headers on every response to a request
// with an allowed Origin, replacing any CORS headers the function returned.
type Config struct {
	// AllowOrigins lists allowed origins: "https://app.example.com", "*"
	// (any), or "https://*" (any origin of that scheme).
	AllowOrigins []string `yaml:"allowOrigins"`
	// AllowMethods becomes Access-Control-Allow-Methods ("*" allowed).
	AllowMethods []string `yaml:"allowMethods"`
	// AllowHeaders becomes Access-Control-Allow-Headers ("*" allowed).
	AllowHeaders []string `yaml:"allowHeaders"`
	// ExposeHeaders becomes Access-Control-Expose-Headers.
	ExposeHeaders []string `yaml:"exposeHeaders"`
	// MaxAge (seconds, -1 to 86400) becomes Access-Control-Max-Age; 0 sends none.
	MaxAge int `yaml:"maxAge"`
	// AllowCredentials sends Access-Control-Allow-Credentials: true; the
	// allowed origin is then echoed rather than "*".
	AllowCredentials bool `yaml:"allowCredentials"`
}

// Validate reports every problem of the config as *fielderr.Error values.
func (c *Config) Validate() []error {
	var errs fielderr.List
	add := errs.Add
	if len(c.AllowOrigins) == 0 {
		add("allowOrigins", `required: list the allowed origins, or "*"`)
	}
	for i, o := range c.AllowOrigins {
		switch {
		case o == "*" || o == "http://*" || o == "https://*":
			// A wildcard with credentials would hand any site of the
			// scheme the user's cookies: browsers refuse "*" there, and
			// echoing the origin for a scheme wildcard is the same hole.
			if c.AllowCredentials {
				add(fmt.Sprintf("allowOrigins[%d]", i), "%q cannot be combined with allowCredentials: list the origins", o)
			}
		case !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://"):
			add(fmt.Sprintf("allowOrigins[%d]", i), `want an origin such as "https://app.example.com", "https://*" or "*", got %q`, o)
		}
	}
	for i, m := range c.AllowMethods {
		if m != "*" && (len(m) > 64 || !httptoken.Valid(m)) {
			add(fmt.Sprintf("allowMethods[%d]", i), "not a method: %q", m)
		}
	}
	if c.MaxAge < -1 || c.MaxAge > 86400 {
		add("maxAge", "want -1 to 86400 seconds, got %d", c.MaxAge)
	}
	return errs
}

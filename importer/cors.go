package importer

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readCORS reads an HTTP API's CORS configuration: OpenAPI's
// x-amazon-apigateway-cors spells its keys allowOrigins…, SAM's
// CorsConfiguration (with capitalised) AllowOrigins…; the same six keys
// either way. unknown is told of every other key.
func readCORS(n *yaml.Node, capitalised bool, unknown func(pair)) *CORS {
	c := &CORS{}
	for _, kv := range pairs(n) {
		name := kv.key
		if name == "" || (name[:1] == strings.ToUpper(name[:1])) != capitalised {
			unknown(kv)
			continue
		}
		name = strings.ToLower(name[:1]) + name[1:]
		v, _ := scalar(kv.value)
		switch name {
		case "allowOrigins":
			c.AllowOrigins = scalars(kv.value)
		case "allowMethods":
			c.AllowMethods = scalars(kv.value)
		case "allowHeaders":
			c.AllowHeaders = scalars(kv.value)
		case "exposeHeaders":
			c.ExposeHeaders = scalars(kv.value)
		case "maxAge":
			c.MaxAge, _ = strconv.Atoi(v)
		case "allowCredentials":
			c.AllowCredentials = v == "true"
		default:
			unknown(kv)
		}
	}
	return c
}

package invokeapi

import (
	"testing"

	"github.com/portico/portico/internal/testkit"
)

func TestConfigValidate(t *testing.T) {
	key := Credential{AccessKeyID: "local", SecretAccessKey: "s"}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"loopback, unsigned", Config{Listen: "127.0.0.1:3001"}, nil},
		{"localhost", Config{Listen: "localhost:3001"}, nil},
		{"IPv6 loopback", Config{Listen: "[::1]:3001"}, nil},
		{"any port", Config{Listen: "127.0.0.1:0"}, nil},
		{"network, signed", Config{Listen: "0.0.0.0:3001", Credentials: []Credential{key}}, nil},
		{"network, allowUnsigned", Config{Listen: ":3001", AllowUnsigned: true}, nil},
		{"missing listen", Config{}, []string{"listen: required (host:port, e.g. 127.0.0.1:3001)"}},
		{"no port", Config{Listen: "127.0.0.1"}, []string{`listen: want host:port, got "127.0.0.1"`}},
		{"bad port", Config{Listen: "127.0.0.1:http"}, []string{`listen: invalid port "http"`}},
		{"port too big", Config{Listen: "127.0.0.1:65536"}, []string{`listen: invalid port "65536"`}},
		{"network, unsigned", Config{Listen: "0.0.0.0:3001"},
			[]string{`listen: "0.0.0.0:3001" is not a loopback address: set credentials, or allowUnsigned: true to serve unsigned requests to the network`}},
		{"all interfaces, unsigned", Config{Listen: ":3001"},
			[]string{`listen: ":3001" is not a loopback address: set credentials, or allowUnsigned: true to serve unsigned requests to the network`}},
		{"credentials", Config{Listen: "127.0.0.1:3001", Credentials: []Credential{{}, key, {AccessKeyID: "local"}}},
			[]string{"credentials[0].accessKeyId: required", "credentials[0].secretAccessKey: required",
				`credentials[2].accessKeyId: duplicate key id "local"`, "credentials[2].secretAccessKey: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ErrorsAre(t, tc.cfg.Validate(), tc.want)
		})
	}
}

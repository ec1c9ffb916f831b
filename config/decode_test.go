package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeTestConfig looks like the root config, with one field of each kind
// the decoder handles.
type decodeTestConfig struct {
	Listen           string                         `yaml:"listen"`
	Admin            *string                        `yaml:"admin"`
	Debug            bool                           `yaml:"debug"`
	Stage            string                         `yaml:"stage"`
	StageVariables   map[string]string              `yaml:"stageVariables"`
	TrustedProxies   []string                       `yaml:"trustedProxies"`
	Limits           decodeTestLimits               `yaml:"limits"`
	Functions        map[string]*decodeTestFunction `yaml:"functions"`
	Routes           []decodeTestRoute              `yaml:"routes"`
	Ratio            float64                        `yaml:"ratio"`
	Port             uint16                         `yaml:"port"`
	Level            int8                           `yaml:"level"`
	Extra            any                            `yaml:"extra,omitempty"`
	decodeTestInline `yaml:",inline"`

	NoTag   string
	Skipped string `yaml:"-"`
	hidden  string `yaml:"hidden"`
}

type decodeTestInline struct {
	Region string `yaml:"region"`
}

type decodeTestLimits struct {
	MaxBodyBytes int64         `yaml:"maxBodyBytes"`
	Timeout      time.Duration `yaml:"timeout"`
}

type decodeTestFunction struct {
	Backend  string            `yaml:"backend"`
	Handler  string            `yaml:"handler"`
	Timeout  time.Duration     `yaml:"timeout"`
	Memory   int               `yaml:"memory"`
	Env      map[string]string `yaml:"env"`
	Response any               `yaml:"response"`
}

type decodeTestRoute struct {
	Route    string   `yaml:"route"`
	Function string   `yaml:"function"`
	Payload  string   `yaml:"payload"`
	Methods  []string `yaml:"methods" config:"scalarlist"`
}

// testEnv is the environment the tests expand ${VAR} from.
func testEnv(name string) (string, bool) {
	v, ok := map[string]string{
		"HOST":  "0.0.0.0",
		"PORT":  "8080",
		"EMPTY": "",
		"CODE":  "418",
		"REF":   "${HOST}",
		"WORDS": "two words",
		"ON":    "true",
		"DUR":   "250ms",
	}[name]
	return v, ok
}

// messages returns the message of each problem err joins, checking that
// each is an *Error.
func messages(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var msgs []string
	for _, e := range unjoin(err) {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Errorf("error %v is a %T, want an *Error", e, e)
		}
		msgs = append(msgs, e.Error())
	}
	return msgs
}

func decodeTest(t *testing.T, doc string) (*decodeTestConfig, Positions, []string) {
	t.Helper()
	var c decodeTestConfig
	pos, err := Decode("test.yaml", []byte(doc), &c, WithLookup(testEnv))
	return &c, pos, messages(t, err)
}

func TestDecodeConfig(t *testing.T) {
	doc := `# a full config
listen: ${HOST:-127.0.0.1}:${PORT}
admin: ""
debug: true
stage: $default
region: eu-west-1
stageVariables: {env: dev, "a.b": c}
trustedProxies: [10.0.0.0/8, 127.0.0.1]
limits:
  maxBodyBytes: 10485760
  timeout: 1m30s
defaults: &defaults
  backend: process
  timeout: 3s
functions:
  hello:
    <<: *defaults
    handler: ./bin/hello
    memory: 128
    env: {GREETING: hi, PORT: "${PORT}"}
  teapot:
    backend: builtin
    handler: mock
    timeout: 0
    response: {statusCode: 418, body: "short and stout", headers: {x: [1, 2.5, true, null]}}
routes:
  - route: GET /pets/{id}
    function: hello
    payload: 2.0
    methods: GET
  - route: $default
    function: teapot
    methods: [GET, POST]
ratio: 0.5
port: 8080
level: -3
`
	// "defaults" is no field: decode it into a config that has one.
	type withDefaults struct {
		decodeTestConfig `yaml:",inline"`
		Defaults         any `yaml:"defaults"`
	}
	var got withDefaults
	got.NoTag, got.Skipped = "kept", "kept"
	_, err := Decode("test.yaml", []byte(doc), &got, WithLookup(testEnv))
	errs := messages(t, err)
	if len(errs) > 0 {
		t.Fatalf("Decode: got errors %v, want none", errs)
	}
	empty := ""
	want := decodeTestConfig{
		Listen:         "0.0.0.0:8080",
		Admin:          &empty,
		Debug:          true,
		Stage:          "$default",
		StageVariables: map[string]string{"env": "dev", "a.b": "c"},
		TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1"},
		Limits:         decodeTestLimits{MaxBodyBytes: 10485760, Timeout: 90 * time.Second},
		Functions: map[string]*decodeTestFunction{
			"hello": {Backend: "process", Handler: "./bin/hello", Timeout: 3 * time.Second, Memory: 128,
				Env: map[string]string{"GREETING": "hi", "PORT": "8080"}},
			"teapot": {Backend: "builtin", Handler: "mock", Response: map[string]any{
				"statusCode": 418, "body": "short and stout",
				"headers": map[string]any{"x": []any{1, 2.5, true, nil}},
			}},
		},
		Routes: []decodeTestRoute{
			{Route: "GET /pets/{id}", Function: "hello", Payload: "2.0", Methods: []string{"GET"}},
			{Route: "$default", Function: "teapot", Methods: []string{"GET", "POST"}},
		},
		Ratio:            0.5,
		Port:             8080,
		Level:            -3,
		decodeTestInline: decodeTestInline{Region: "eu-west-1"},
		NoTag:            "kept",
		Skipped:          "kept",
	}
	if !reflect.DeepEqual(got.decodeTestConfig, want) {
		t.Errorf("Decode:\ngot  %+v\nwant %+v", got.decodeTestConfig, want)
	}
	wantDefaults := map[string]any{"backend": "process", "timeout": "3s"}
	if !reflect.DeepEqual(got.Defaults, wantDefaults) {
		t.Errorf("defaults: got %#v, want %#v", got.Defaults, wantDefaults)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown field with suggestion",
			"functions:\n  hello:\n    timout: 3s\n",
			[]string{`test.yaml:3:5: functions.hello: unknown field "timout" (did you mean "timeout"?)`}},
		{"unknown field differing in case",
			"Listen: x\n",
			[]string{`test.yaml:1:1: unknown field "Listen" (did you mean "listen"?)`}},
		{"unknown field far from any",
			"bogus: 1\n",
			[]string{`test.yaml:1:1: unknown field "bogus"`}},
		{"field without a yaml tag",
			"NoTag: x\n",
			[]string{`test.yaml:1:1: unknown field "NoTag"`}},
		{"field tagged -",
			"Skipped: x\n",
			[]string{`test.yaml:1:1: unknown field "Skipped"`}},
		{"unexported field",
			"hidden: x\n",
			[]string{`test.yaml:1:1: unknown field "hidden"`}},
		{"env in a key is not expanded",
			"${HOST}: x\n",
			[]string{`test.yaml:1:1: unknown field "${HOST}"`}},
		{"string got a mapping",
			"listen: {host: a}\n",
			[]string{`test.yaml:1:9: listen: expected a string, got a mapping`}},
		{"string got a list",
			"listen:\n  - a\n",
			[]string{`test.yaml:2:3: listen: expected a string, got a list`}},
		{"string got null",
			"listen: ~\n",
			[]string{`test.yaml:1:9: listen: expected a string, got null`}},
		{"string got nothing",
			"listen:\nstage: x\n",
			[]string{`test.yaml:1:8: listen: expected a string, got null`}},
		{"pointer got a list",
			"admin: [a]\n",
			[]string{`test.yaml:1:8: admin: expected a string, got a list`}},
		{"int got a word",
			"functions:\n  f:\n    memory: ten\n",
			[]string{`test.yaml:3:13: functions.f.memory: expected an integer, got "ten"`}},
		{"int got a float",
			"functions: {f: {memory: 1.5}}\n",
			[]string{`test.yaml:1:25: functions.f.memory: expected an integer, got "1.5"`}},
		{"int out of range",
			"level: 300\n",
			[]string{`test.yaml:1:8: level: expected an integer from -128 to 127, got "300"`}},
		{"int64 out of range",
			"limits: {maxBodyBytes: 99999999999999999999}\n",
			[]string{`test.yaml:1:24: limits.maxBodyBytes: expected an integer from -9223372036854775808 to 9223372036854775807, got "99999999999999999999"`}},
		{"uint got a negative",
			"port: -1\n",
			[]string{`test.yaml:1:7: port: expected an integer from 0 to 65535, got "-1"`}},
		{"uint got a word",
			"port: http\n",
			[]string{`test.yaml:1:7: port: expected a non-negative integer, got "http"`}},
		{"int got a mapping",
			"port: {a: 1}\n",
			[]string{`test.yaml:1:7: port: expected a non-negative integer, got a mapping`}},
		{"float got a word",
			"ratio: half\n",
			[]string{`test.yaml:1:8: ratio: expected a number, got "half"`}},
		{"bool got yes",
			"debug: yes\n",
			[]string{`test.yaml:1:8: debug: expected a boolean (true or false), got "yes"`}},
		{"bool got a list",
			"debug: [true]\n",
			[]string{`test.yaml:1:8: debug: expected a boolean, got a list`}},
		{"list got a string",
			"trustedProxies: 10.0.0.1\n",
			[]string{`test.yaml:1:17: trustedProxies: expected a list, got a string`}},
		{"list got a mapping",
			"routes: {route: x}\n",
			[]string{`test.yaml:1:9: routes: expected a list, got a mapping`}},
		{"map got a list",
			"stageVariables: [a, b]\n",
			[]string{`test.yaml:1:17: stageVariables: expected a mapping, got a list`}},
		{"struct got a number",
			"limits: 5\n",
			[]string{`test.yaml:1:9: limits: expected a mapping, got an integer`}},
		{"map value of the wrong type",
			"stageVariables:\n  a.b: [x]\n",
			[]string{`test.yaml:2:8: stageVariables["a.b"]: expected a string, got a list`}},
		{"duration with an unknown unit",
			"limits:\n  timeout: 30x\n",
			[]string{`test.yaml:2:12: limits.timeout: invalid duration "30x": want a number with a unit, such as "30s", "250ms" or "1m30s"`}},
		{"duration without a unit",
			"limits:\n  timeout: 30\n",
			[]string{`test.yaml:2:12: limits.timeout: invalid duration "30": want a number with a unit, such as "30s", "250ms" or "1m30s"`}},
		{"duration got null",
			"limits:\n  timeout: null\n",
			[]string{`test.yaml:2:12: limits.timeout: expected a duration such as "30s", got null`}},
		{"unset env var",
			"listen: ${NOPE}:80\n",
			[]string{`test.yaml:1:9: listen: ${NOPE} is not set`}},
		{"two unset env vars in one value",
			"listen: \"${NOPE}:${NADA}\"\n",
			[]string{`test.yaml:1:9: listen: ${NOPE} is not set`, `test.yaml:1:9: listen: ${NADA} is not set`}},
		{"unset env var in a list",
			"trustedProxies: [a, '${NOPE}']\n",
			[]string{`test.yaml:1:21: trustedProxies[1]: ${NOPE} is not set`}},
		{"unset env var in an any value",
			"extra: {a: ['${NOPE}']}\n",
			[]string{`test.yaml:1:13: extra.a[0]: ${NOPE} is not set`}},
		{"malformed ${",
			"listen: ${HOST:-localhost\n",
			[]string{`test.yaml:1:9: listen: unterminated "${HOST:-localhost" (missing "}")`}},
		{"invalid variable name",
			"listen: ${HOST-x}\n",
			[]string{`test.yaml:1:9: listen: invalid "${HOST-x}": want ${VAR} or ${VAR:-default}`}},
		{"duplicate key",
			"listen: a\nstage: b\nlisten: c\n",
			[]string{`test.yaml:3:1: listen: duplicate key "listen" (first at 1:1)`}},
		{"duplicate map key",
			"stageVariables:\n  a: x\n  \"a\": y\n",
			[]string{`test.yaml:3:3: stageVariables.a: duplicate key "a" (first at 2:3)`}},
		{"duplicate key in an any value",
			"extra: {a: 1, a: 2}\n",
			[]string{`test.yaml:1:15: extra.a: duplicate key "a" (first at 1:9)`}},
		{"key that is a list",
			"? [a]\n: b\n",
			[]string{`test.yaml:1:3: a mapping key must be a string, got a list`}},
		{"scanner syntax error",
			"listen: a\nadmin: b: c\n",
			[]string{`test.yaml:2: mapping values are not allowed in this context`}},
		{"scanner syntax error on line 1",
			"listen: b: c\n",
			[]string{`test.yaml:1: mapping values are not allowed in this context`}},
		{"parser syntax error",
			"listen: a\nstage: b\n- c\n",
			[]string{`test.yaml:3: did not find expected key`}},
		{"parser syntax error on line 1",
			"routes: [a]]\n",
			[]string{`test.yaml:1: did not find expected key`}},
		{"bad indentation",
			"limits:\n  timeout: 1s\n maxBodyBytes: 5\n",
			[]string{`test.yaml:3: did not find expected key`}},
		{"tab indentation",
			"limits:\n\ttimeout: 1s\n",
			[]string{`test.yaml:2: found character that cannot start any token`}},
		{"invalid UTF-8",
			"listen: a\nstage: é\xff\n",
			[]string{`test.yaml:2:9: invalid UTF-8 (byte 0xff)`}},
		{"control character",
			"listen: a\nstage: \"x\x01\"\n",
			[]string{`test.yaml:2:10: control character U+0001 is not allowed`}},
		{"control character after a long value", // yaml.v3 alone takes this for an empty file
			"listen: " + strings.Repeat("4", 2000) + "\x10\n",
			[]string{`test.yaml:1:2009: control character U+0010 is not allowed`}},
		{"unknown anchor",
			"listen: a\nstage: *nope\n",
			[]string{`test.yaml:2:8: unknown anchor 'nope' referenced`}},
		{"second document",
			"listen: a\n---\nstage: b\n",
			[]string{`test.yaml:2:1: a config file holds one YAML document, this is a second one`}},
		{"root is a list",
			"- listen: a\n",
			[]string{`test.yaml:1:1: the top level must be a mapping, got a list`}},
		{"root is a string",
			"\n  listen\n",
			[]string{`test.yaml:2:3: the top level must be a mapping, got a string`}},
		{"alias that contains itself",
			"extra: &a [1, *a]\n",
			[]string{`test.yaml:1:15: extra[1]: alias *a refers to a value that contains it`}},
		{"merge that contains itself",
			"functions:\n  f: &f\n    <<: *f\n",
			[]string{`test.yaml:3:9: functions.f: alias *f refers to a value that contains it`}},
		{"merge of a string",
			"functions:\n  f:\n    <<: x\n",
			[]string{`test.yaml:3:9: functions.f: a merge (<<) needs a mapping or a list of mappings, got a string`}},
		{"merge of a list of lists",
			"functions:\n  f:\n    <<: [[x]]\n",
			[]string{`test.yaml:3:10: functions.f: a merge (<<) needs a mapping or a list of mappings, got a list`}},
		{"type error behind an alias",
			"listen: &l [a]\nstage: *l\n",
			[]string{`test.yaml:1:9: listen: expected a string, got a list`, `test.yaml:2:8: stage: expected a string, got a list`}},
		{"scalarlist got a mapping",
			"routes:\n  - methods: {GET: true}\n",
			[]string{`test.yaml:2:14: routes[0].methods: expected a list or a single value, got a mapping`}},
		{"scalarlist item of the wrong type",
			"routes:\n  - methods: [GET, [POST]]\n",
			[]string{`test.yaml:2:20: routes[0].methods[1]: expected a string, got a list`}},
		{"every problem in a scalarlist",
			"routes:\n  - methods: ['${NADA}', '${NOPE}', [x]]\n",
			[]string{`test.yaml:2:15: routes[0].methods[0]: ${NADA} is not set`, `test.yaml:2:26: routes[0].methods[1]: ${NOPE} is not set`,
				`test.yaml:2:37: routes[0].methods[2]: expected a string, got a list`}},
		{"scalarlist single value keeps the list's path",
			"routes:\n  - methods: ${NOPE}\n",
			[]string{`test.yaml:2:14: routes[0].methods: ${NOPE} is not set`}},
		{"scalarlist got null",
			"routes:\n  - methods: [~]\n",
			[]string{`test.yaml:2:15: routes[0].methods[0]: expected a string, got null`}},
		{"bad tag in an any value",
			"extra: !!int x\n",
			[]string{`test.yaml:1:8: extra: cannot decode "x" as !!int`}},
		{"bad base64 in an any value",
			"extra: !!binary '#'\n",
			[]string{`test.yaml:1:8: extra: !!binary value is not valid base64`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got := decodeTest(t, tt.doc)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode(%q):\ngot  %q\nwant %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestDecodeConfigManyErrors(t *testing.T) {
	doc := `listen: [a]
limits:
  timeout: soon
  maxBodyBytes: big
base: &base {backend: x, memry: 1}
functions:
  a:
    <<: *base
    timeout: ${NOPE}
  b: {handler: [x], zzz: 1}
routes:
  - route: $default
    function: a
    paylod: "1.0"
  - route: GET /
    methods: {}
port: 70000
`
	_, _, got := decodeTest(t, doc)
	want := []string{
		`test.yaml:1:9: listen: expected a string, got a list`,
		`test.yaml:3:12: limits.timeout: invalid duration "soon": want a number with a unit, such as "30s", "250ms" or "1m30s"`,
		`test.yaml:4:17: limits.maxBodyBytes: expected an integer, got "big"`,
		`test.yaml:5:1: unknown field "base"`,
		`test.yaml:5:26: functions.a: unknown field "memry" (did you mean "memory"?)`,
		`test.yaml:9:14: functions.a.timeout: ${NOPE} is not set`,
		`test.yaml:10:16: functions.b.handler: expected a string, got a list`,
		`test.yaml:10:21: functions.b: unknown field "zzz"`,
		`test.yaml:14:5: routes[0]: unknown field "paylod" (did you mean "payload"?)`,
		`test.yaml:16:14: routes[1].methods: expected a list or a single value, got a mapping`,
		`test.yaml:17:7: port: expected an integer from 0 to 65535, got "70000"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestDecodeConfigEnv(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want decodeTestConfig
	}{
		{"set", "listen: ${HOST}:${PORT}\n", decodeTestConfig{Listen: "0.0.0.0:8080"}},
		{"default unused", "listen: ${HOST:-127.0.0.1}\n", decodeTestConfig{Listen: "0.0.0.0"}},
		{"default for unset", "listen: ${NOPE:-127.0.0.1}:80\n", decodeTestConfig{Listen: "127.0.0.1:80"}},
		{"default for empty", "listen: ${EMPTY:-localhost}\n", decodeTestConfig{Listen: "localhost"}},
		{"empty default", "listen: x${NOPE:-}y\n", decodeTestConfig{Listen: "xy"}},
		{"default with spaces", "listen: ${NOPE:-a b c}\n", decodeTestConfig{Listen: "a b c"}},
		{"set but empty", "listen: x${EMPTY}y\n", decodeTestConfig{Listen: "xy"}},
		{"not expanded again", "listen: ${REF}\n", decodeTestConfig{Listen: "${HOST}"}},
		{"dollar dollar", "listen: $${HOST}\n", decodeTestConfig{Listen: "${HOST}"}},
		{"lone dollar", "stage: $default\n", decodeTestConfig{Stage: "$default"}},
		{"quoted", "listen: \"${HOST}\"\n", decodeTestConfig{Listen: "0.0.0.0"}},
		{"single quoted", "listen: '${WORDS}'\n", decodeTestConfig{Listen: "two words"}},
		{"block scalar", "listen: |\n  ${HOST}\n", decodeTestConfig{Listen: "0.0.0.0\n"}},
		{"int", "port: ${PORT}\n", decodeTestConfig{Port: 8080}},
		{"bool", "debug: ${ON}\n", decodeTestConfig{Debug: true}},
		{"duration", "limits: {timeout: '${DUR}'}\n", decodeTestConfig{Limits: decodeTestLimits{Timeout: 250 * time.Millisecond}}},
		{"list item", "trustedProxies: ['${HOST}', x]\n", decodeTestConfig{TrustedProxies: []string{"0.0.0.0", "x"}}},
		{"map key kept, value expanded", "stageVariables:\n  ${HOST}: ${HOST}\n",
			decodeTestConfig{StageVariables: map[string]string{"${HOST}": "0.0.0.0"}}},
		{"any plain retyped", "extra: ${CODE}\n", decodeTestConfig{Extra: 418}},
		{"any plain default retyped", "extra: ${NOPE:-true}\n", decodeTestConfig{Extra: true}},
		{"any quoted stays a string", "extra: \"${CODE}\"\n", decodeTestConfig{Extra: "418"}},
		{"any expanded to nothing", "extra: ${EMPTY}\n", decodeTestConfig{Extra: nil}},
		{"any unexpanded keeps its type", "extra: 2.0\n", decodeTestConfig{Extra: 2.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errs := decodeTest(t, tt.doc)
			if len(errs) > 0 {
				t.Fatalf("Decode(%q): got errors %q, want none", tt.doc, errs)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Decode(%q):\ngot  %+v\nwant %+v", tt.doc, *got, tt.want)
			}
		})
	}
}

func TestDecodeConfigScalars(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want decodeTestConfig
	}{
		{"string from a float", "listen: 2.0\n", decodeTestConfig{Listen: "2.0"}},
		{"string from a bool", "listen: true\n", decodeTestConfig{Listen: "true"}},
		{"string from hex", "listen: 0x10\n", decodeTestConfig{Listen: "0x10"}},
		{"string with a lone dollar", "listen: $x\n", decodeTestConfig{Listen: "$x"}},
		{"quoted int", "level: \"-5\"\n", decodeTestConfig{Level: -5}},
		{"hex int", "level: 0x10\n", decodeTestConfig{Level: 16}},
		{"negative hex int", "level: -0x10\n", decodeTestConfig{Level: -16}},
		{"leading zero is decimal", "level: 010\n", decodeTestConfig{Level: 10}},
		{"octal uint", "port: 0o17\n", decodeTestConfig{Port: 15}},
		{"binary uint", "port: 0b101\n", decodeTestConfig{Port: 5}},
		{"largest uint16", "port: 65535\n", decodeTestConfig{Port: 65535}},
		{"float from an int", "ratio: 3\n", decodeTestConfig{Ratio: 3}},
		{"float with exponent", "ratio: 1e3\n", decodeTestConfig{Ratio: 1000}},
		{"bool in capitals", "debug: TRUE\n", decodeTestConfig{Debug: true}},
		{"zero duration", "limits: {timeout: 0}\n", decodeTestConfig{}},
		{"negative duration", "limits: {timeout: -1.5h}\n", decodeTestConfig{Limits: decodeTestLimits{Timeout: -90 * time.Minute}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errs := decodeTest(t, tt.doc)
			if len(errs) > 0 {
				t.Fatalf("Decode(%q): got errors %q, want none", tt.doc, errs)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Decode(%q):\ngot  %+v\nwant %+v", tt.doc, *got, tt.want)
			}
		})
	}
	if got, _, _ := decodeTest(t, "ratio: .inf\n"); !math.IsInf(got.Ratio, 1) {
		t.Errorf("ratio: .inf: got %v, want +Inf", got.Ratio)
	}
	_, _, errs := decodeTest(t, "level: "+strings.Repeat("a", 50)+"\n")
	if want := `test.yaml:1:8: level: expected an integer, got "` + strings.Repeat("a", 37) + `..."`; len(errs) != 1 || errs[0] != want {
		t.Errorf("long value: got %q, want [%s]", errs, want)
	}
}

func TestDecodeConfigJSON(t *testing.T) {
	doc := "{\n" +
		"  \"listen\": \"127.0.0.1:8080\",\n" +
		"  \"limits\": {\"timeout\": \"30x\", \"maxBodyBytes\": 1024},\n" +
		"\t\"functions\": {\"echo\": {\"backend\": \"builtin\", \"handler\": \"echo\", \"memroy\": 1,\n" +
		"    \"response\": {\"statusCode\": 200, \"body\": \"{\\\"ok\\\":true}\", \"tags\": [\"a\", 1.5, false, null]}}},\n" +
		"  \"routes\": [{\"route\": \"$default\", \"function\": \"echo\", \"payload\": \"2.0\"}]\n" +
		"}\n"
	got, pos, errs := decodeTest(t, doc)
	wantErrs := []string{
		fmt.Sprintf(`test.yaml:%s: limits.timeout: invalid duration "30x": want a number with a unit, such as "30s", "250ms" or "1m30s"`, lineCol(posOf(t, doc, `"30x"`))),
		fmt.Sprintf(`test.yaml:%s: functions.echo: unknown field "memroy" (did you mean "memory"?)`, lineCol(posOf(t, doc, `"memroy"`))),
	}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Errorf("errors:\ngot  %q\nwant %q", errs, wantErrs)
	}
	wantPos := map[string]string{
		"listen":                          `"127.0.0.1:8080"`,
		"listen#key":                      `"listen"`,
		"limits.maxBodyBytes":             `1024`,
		"functions.echo.backend":          `"builtin"`,
		"functions.echo.response.body":    `"{\"ok`,
		"functions.echo.response.tags[3]": `null`,
		"routes[0]":                       `{"route"`,
		"routes[0].payload":               `"2.0"`,
	}
	for path, at := range wantPos {
		if got, want := pos[path], posOf(t, doc, at); got != want {
			t.Errorf("Positions[%q]: got %v, want %v (where %s is)", path, got, want, at)
		}
	}
	if got.Limits.MaxBodyBytes != 1024 || got.Routes[0].Payload != "2.0" {
		t.Errorf("decoded %+v, want maxBodyBytes 1024 and payload 2.0", *got)
	}
	wantResp := map[string]any{"statusCode": 200, "body": `{"ok":true}`, "tags": []any{"a", 1.5, false, nil}}
	if r := got.Functions["echo"].Response; !reflect.DeepEqual(r, wantResp) {
		t.Errorf("response: got %#v, want %#v", r, wantResp)
	}
}

func lineCol(p Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// posOf returns where the only s in doc starts.
func posOf(t *testing.T, doc, s string) Pos {
	t.Helper()
	i := strings.Index(doc, s)
	if i < 0 || strings.Count(doc, s) != 1 {
		t.Fatalf("%q is not in the document exactly once", s)
	}
	line := 1 + strings.Count(doc[:i], "\n")
	col := 1 + utf8.RuneCountInString(doc[strings.LastIndexByte(doc[:i], '\n')+1:i])
	return Pos{line, col}
}

func TestDecodeConfigAny(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want any
	}{
		{"null", "extra: ~\n", nil},
		{"nothing", "extra:\n", nil},
		{"string", "extra: short and stout\n", "short and stout"},
		{"int", "extra: 418\n", 418},
		{"hex int", "extra: 0x1F\n", 31},
		{"negative int", "extra: -7\n", -7},
		{"float", "extra: 2.5\n", 2.5},
		{"infinity", "extra: -.inf\n", math.Inf(-1)},
		{"bool", "extra: false\n", false},
		{"quoted number", "extra: \"418\"\n", "418"},
		{"timestamp stays a string", "extra: 2001-12-14\n", "2001-12-14"},
		{"binary", "extra: !!binary aGk=\n", "hi"},
		{"list", "extra: [a, 1, [b]]\n", []any{"a", 1, []any{"b"}}},
		{"mapping", "extra: {a: {b: c}, d: [], e: {}}\n",
			map[string]any{"a": map[string]any{"b": "c"}, "d": []any{}, "e": map[string]any{}}},
		{"numeric keys are strings", "extra: {200: ok, true: yes}\n", map[string]any{"200": "ok", "true": "yes"}},
		{"alias", "extra: {a: &x [1, 2], b: *x}\n", map[string]any{"a": []any{1, 2}, "b": []any{1, 2}}},
		{"merge", "extra: {base: &b {x: 1, y: 2}, c: {<<: *b, y: 3}}\n",
			map[string]any{"base": map[string]any{"x": 1, "y": 2}, "c": map[string]any{"x": 1, "y": 3}}},
		{"merge of a list, earlier wins", "extra: {p: &p {x: 1}, q: &q {x: 2, z: 3}, c: {<<: [*p, *q]}}\n",
			map[string]any{"p": map[string]any{"x": 1}, "q": map[string]any{"x": 2, "z": 3}, "c": map[string]any{"x": 1, "z": 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errs := decodeTest(t, tt.doc)
			if len(errs) > 0 {
				t.Fatalf("Decode(%q): got errors %q, want none", tt.doc, errs)
			}
			if !reflect.DeepEqual(got.Extra, tt.want) {
				t.Errorf("Decode(%q): got %#v, want %#v", tt.doc, got.Extra, tt.want)
			}
		})
	}
}

func TestDecodeConfigEmpty(t *testing.T) {
	for _, doc := range []string{"", "\n\n", "# nothing here\n", "~\n", "---\n", "---\n...\n"} {
		t.Run(fmt.Sprintf("%q", doc), func(t *testing.T) {
			c := decodeTestConfig{Listen: "kept"}
			pos, err := Decode("test.yaml", []byte(doc), &c, WithLookup(testEnv))
			errs := messages(t, err)
			if len(errs) > 0 || len(pos) > 0 || c.Listen != "kept" {
				t.Errorf("Decode(%q): got %v, %v, listen %q; want no errors or positions, listen kept", doc, errs, pos, c.Listen)
			}
		})
	}
}

func TestDecodeConfigUTF16(t *testing.T) {
	// UTF-16 files need a byte order mark.
	doc := utf16.Encode([]rune("\ufefflisten: x\nport: nope\n"))
	data := make([]byte, 2*len(doc))
	for i, u := range doc {
		data[2*i], data[2*i+1] = byte(u), byte(u>>8)
	}
	var c decodeTestConfig
	_, err := Decode("test.yaml", data, &c, WithLookup(testEnv))
	errs := messages(t, err)
	want := `test.yaml:2:7: port: expected a non-negative integer, got "nope"`
	if len(errs) != 1 || errs[0] != want || c.Listen != "x" {
		t.Errorf("got %v, listen %q; want [%s], listen %q", errs, c.Listen, want, "x")
	}
}

func TestDecodeConfigNullKeeps(t *testing.T) {
	c := decodeTestConfig{
		Limits:         decodeTestLimits{Timeout: time.Second},
		StageVariables: map[string]string{"a": "b"},
		Routes:         []decodeTestRoute{{Route: "x"}},
		Extra:          "gone",
	}
	want := c
	want.Extra = nil
	_, err := Decode("test.yaml", []byte("limits:\nstageVariables: ~\nroutes: null\nadmin:\nextra:\n"), &c, WithLookup(testEnv))
	errs := messages(t, err)
	if len(errs) > 0 {
		t.Fatalf("got errors %v, want none", errs)
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestDecodeConfigBadTarget(t *testing.T) {
	var s string
	for _, out := range []any{nil, s, &s, (*decodeTestConfig)(nil)} {
		_, err := Decode("test.yaml", []byte("listen: x\n"), out, WithLookup(testEnv))
		errs := messages(t, err)
		if len(errs) != 1 || !strings.Contains(errs[0], "BUG: config.Decode needs a non-nil pointer to a struct") {
			t.Errorf("Decode into %T: got %v, want a BUG error", out, errs)
		}
	}
	var c struct {
		C chan int `yaml:"c"`
	}
	_, err := Decode("test.yaml", []byte("c: x\n"), &c, WithLookup(testEnv))
	errs := messages(t, err)
	if want := "test.yaml:1:4: c: BUG: cannot decode into chan int"; len(errs) != 1 || errs[0] != want {
		t.Errorf("Decode into a chan: got %v, want [%s]", errs, want)
	}
}

func TestDecodeConfigAliasBomb(t *testing.T) {
	type config struct {
		L map[string]any `yaml:"l"`
	}
	// Ten levels of ten aliases each: 10^10 values once expanded.
	var b strings.Builder
	b.WriteString("l:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	var c config
	start := time.Now()
	pos, err := Decode("bomb.yaml", []byte(b.String()), &c, WithLookup(testEnv))
	errs := messages(t, err)
	if len(errs) != 1 || !strings.Contains(errs[0], "document is too large: more than 1000000 values once aliases are expanded") {
		t.Errorf("got errors %v, want one saying the document is too large", errs)
	}
	if len(pos) > maxPositions {
		t.Errorf("got %d positions, want at most %d", len(pos), maxPositions)
	}
	t.Logf("stopped after %v", time.Since(start))
}

// TestDecodeStringAliasBomb: few nodes but long strings, aliased many
// times, are refused by their expanded size before anything is built from
// them (a 1 MiB string aliased 300 times once took invoke 6 s and 2 GB).
func TestDecodeStringAliasBomb(t *testing.T) {
	items := strings.TrimSuffix(strings.Repeat("*big, ", 300), ", ")
	doc := "functions:\n  m:\n    backend: builtin\n    handler: mock\n" +
		`    response: {statusCode: 200, body: &big "` + strings.Repeat("x", 1<<20) + `", headers: [` + items + "]}\n"
	var c decodeTestConfig
	_, err := Decode("bomb.yaml", []byte(doc), &c)
	if err == nil || !strings.Contains(err.Error(), "document is too large: more than 16 MiB of values once aliases are expanded") {
		t.Errorf("got %v, want the document refused as too large", err)
	}
}

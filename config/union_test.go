package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// unionTestBlock is a block whose `kind:` picks its other keys.
type unionTestBlock struct {
	Kind  string
	Value any // *unionTestCat or *unionTestDog
}

type unionTestCat struct {
	Lives   int           `yaml:"lives"`
	Nap     time.Duration `yaml:"nap"`
	Toy     string        `yaml:"toy" config:"path"`
	Friends []string      `yaml:"friends" config:"scalarlist"`
}

type unionTestDog struct {
	Breed  string        `yaml:"breed"`
	Nap    time.Duration `yaml:"nap"`
	Tricks []string      `yaml:"tricks"`
}

func (b *unionTestBlock) UnionKey() string     { return "kind" }
func (b *unionTestBlock) UnionKinds() []string { return []string{"cat", "dog"} }

func (b *unionTestBlock) NewKind(kind string) any {
	switch kind {
	case "cat":
		return &unionTestCat{}
	case "dog":
		return &unionTestDog{}
	}
	return nil
}

func (b *unionTestBlock) SetKind(kind string, v any) { b.Kind, b.Value = kind, v }

type unionTestConfig struct {
	Pets  map[string]*unionTestBlock `yaml:"pets"`
	Owner unionTestBlock             `yaml:"owner"`
	Zoo   []unionTestBlock           `yaml:"zoo"`
}

func TestUnion(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want unionTestConfig
	}{
		{"one kind", "pets: {tom: {kind: cat, lives: 9, nap: 2h, toy: mouse, friends: jerry}}\n",
			unionTestConfig{Pets: map[string]*unionTestBlock{"tom": {Kind: "cat",
				Value: &unionTestCat{Lives: 9, Nap: 2 * time.Hour, Toy: "/home/mouse", Friends: []string{"jerry"}}}}}},
		{"the selecting key last", "owner: {breed: pug, kind: dog}\n",
			unionTestConfig{Owner: unionTestBlock{Kind: "dog", Value: &unionTestDog{Breed: "pug"}}}},
		{"the kind expanded", "owner: {kind: '${KIND:-dog}', nap: 1m}\n",
			unionTestConfig{Owner: unionTestBlock{Kind: "dog", Value: &unionTestDog{Nap: time.Minute}}}},
		{"merged", "zoo:\n  - &rex {kind: dog, breed: lab}\n  - {<<: *rex, tricks: [sit]}\n",
			unionTestConfig{Zoo: []unionTestBlock{{Kind: "dog", Value: &unionTestDog{Breed: "lab"}},
				{Kind: "dog", Value: &unionTestDog{Breed: "lab", Tricks: []string{"sit"}}}}}},
		{"null leaves it", "owner: ~\npets: {a: ~}\n", unionTestConfig{Pets: map[string]*unionTestBlock{"a": nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got unionTestConfig
			_, err := Decode("u.yaml", []byte(tt.doc), &got, WithDir("/home"), WithLookup(testEnv))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestUnionErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"missing kind", "pets:\n  tom: {lives: 9}\n",
			[]string{`u.yaml:2:8: pets.tom.kind: required (cat or dog)`}},
		{"unknown kind", "pets:\n  tom: {kind: cow, lives: 9}\n",
			[]string{`u.yaml:2:15: pets.tom.kind: unknown kind "cow" (want cat or dog)`}},
		{"kind of the wrong type", "owner: {kind: [cat]}\n",
			[]string{`u.yaml:1:15: owner.kind: expected a string, got a list`}},
		{"key of another kind", "pets:\n  tom: {kind: cat, breed: tabby, tricks: []}\n",
			[]string{`u.yaml:2:27: pets.tom.breed: not used by kind cat`, `u.yaml:2:42: pets.tom.tricks: not used by kind cat`}},
		{"key of no kind", "owner:\n  kind: dog\n  lifes: 9\n",
			[]string{`u.yaml:3:3: owner: unknown field "lifes" (did you mean "lives"?)`}},
		{"key of no kind and far from any", "owner: {kind: dog, wings: 2}\n",
			[]string{`u.yaml:1:20: owner: unknown field "wings"`}},
		{"every problem of the kind", "owner: {kind: cat, lives: many, nap: soon, friends: {a: b}}\n",
			[]string{`u.yaml:1:27: owner.lives: expected an integer, got "many"`,
				`u.yaml:1:38: owner.nap: invalid duration "soon": want a number with a unit, such as "30s", "250ms" or "1m30s"`,
				`u.yaml:1:53: owner.friends: expected a list or a single value, got a mapping`}},
		{"not a mapping", "owner: cat\n",
			[]string{`u.yaml:1:8: owner: expected a mapping, got a string`}},
		{"duplicate kind", "owner: {kind: cat, kind: dog}\n",
			[]string{`u.yaml:1:20: owner.kind: duplicate key "kind" (first at 1:9)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c unionTestConfig
			_, err := Decode("u.yaml", []byte(tt.doc), &c, WithLookup(testEnv))
			if got := messages(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

func TestOrList(t *testing.T) {
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"builtin", "http", "process", "lambda"}, "builtin, http, process or lambda"},
	} {
		if got := orList(tt.words); got != tt.want {
			t.Errorf("orList(%q): got %q, want %q", tt.words, got, tt.want)
		}
	}
}

// backendLike selects its keys with `backend:`, over the kinds of a
// function's backend.
type backendLike struct{ kind string }

type builtinLike struct {
	Handler  string `yaml:"handler"`
	Response any    `yaml:"response"`
}

type httpLike struct {
	URL     string        `yaml:"url"`
	Timeout time.Duration `yaml:"timeout"`
}

type processLike struct {
	Handler string        `yaml:"handler" config:"path"`
	Timeout time.Duration `yaml:"timeout"`
	Memory  int           `yaml:"memory"`
}

type lambdaLike struct {
	FunctionName string        `yaml:"functionName"`
	Timeout      time.Duration `yaml:"timeout"`
}

func (b *backendLike) UnionKey() string { return "backend" }
func (b *backendLike) UnionKinds() []string {
	return []string{"builtin", "http", "process", "lambda"}
}
func (b *backendLike) SetKind(kind string, _ any) { b.kind = kind }

func (b *backendLike) NewKind(kind string) any {
	switch kind {
	case "builtin":
		return &builtinLike{}
	case "http":
		return &httpLike{}
	case "process":
		return &processLike{}
	case "lambda":
		return &lambdaLike{}
	}
	return nil
}

// TestUnionMessages: a union with the selecting key and kinds of a
// function's backend reports what the gateway reports today.
func TestUnionMessages(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"functions:\n  echo: {backend: builtin, handler: echo, url: \"http://127.0.0.1:1/x\"}\n",
			`f.yaml:2:48: functions.echo.url: not used by backend builtin`},
		{"functions:\n  f: {backend: lambada}\n",
			`f.yaml:2:16: functions.f.backend: unknown backend "lambada" (want builtin, http, process or lambda)`},
		{"functions:\n  f: {handler: x}\n",
			`f.yaml:2:6: functions.f.backend: required (builtin, http, process or lambda)`},
		{"functions:\n  echo: {backend: builtin, handler: echo, timout: 3s}\n",
			`f.yaml:2:43: functions.echo: unknown field "timout" (did you mean "timeout"?)`},
	}
	for _, tt := range tests {
		var c struct {
			Functions map[string]*backendLike `yaml:"functions"`
		}
		if _, err := Decode("f.yaml", []byte(tt.doc), &c); err == nil || err.Error() != tt.want {
			t.Errorf("got  %v\nwant %s", err, tt.want)
		}
	}
}

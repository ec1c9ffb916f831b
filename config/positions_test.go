package config

import "testing"

func TestPositions(t *testing.T) {
	doc := `listen: x
limits:
  timeout: 1s
functions:
  hello:
    handler: ./bin/hello
  "a.b":
    env: {K: v}
routes:
  - route: GET /
  - route: $default
    methods: [GET]
`
	_, pos, errs := decodeTest(t, doc)
	if len(errs) > 0 {
		t.Fatalf("got errors %q, want none", errs)
	}
	tests := []struct {
		path string
		want Pos
	}{
		{"listen", Pos{1, 9}},
		{"listen#key", Pos{1, 1}},
		{"limits", Pos{3, 3}},
		{"limits.timeout", Pos{3, 12}},
		{"limits.timeout#key", Pos{3, 3}},
		{"functions.hello.handler", Pos{6, 14}},
		{`functions["a.b"]`, Pos{8, 5}},
		{`functions["a.b"]#key`, Pos{7, 3}},
		{`functions["a.b"].env.K`, Pos{8, 14}},
		{"routes[1].route", Pos{11, 12}},
		{"routes[1].methods", Pos{12, 14}},
		{"routes[1].methods[0]", Pos{12, 15}},
		// Not recorded: the nearest recorded ancestor.
		{"limits.maxBodyBytes", Pos{3, 3}},
		{"limits.maxBodyBytes#key", Pos{3, 3}},
		{"functions.hello.timeout", Pos{6, 5}},
		{"functions.nope.timeout", Pos{5, 3}},
		{`functions["a.b"].env.X`, Pos{8, 10}},
		{`functions["a.b"].timeout`, Pos{8, 5}},
		{`functions["x.y[0]"].timeout`, Pos{5, 3}},
		{"routes[0].function", Pos{10, 5}},
		{"routes[7].function", Pos{10, 3}},
		{"routes[1].methods[3]", Pos{12, 14}},
		{"admin", Pos{}},
		{"", Pos{}},
	}
	for _, tt := range tests {
		if got := pos.At(tt.path); got != tt.want {
			t.Errorf("At(%q): got %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestParentPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"a", ""},
		{"a.b", "a"},
		{"a.b.c", "a.b"},
		{"a[2]", "a"},
		{"a[2].b", "a[2]"},
		{`a["x.y"]`, "a"},
		{`a["x]y"].b`, `a["x]y"]`},
		{`a["q\"]"]`, "a"},
		{`["k"]`, ""},
		{"a[", "a"},
		{`a["x`, "a"},
	}
	for _, tt := range tests {
		if got := parentPath(tt.path); got != tt.want {
			t.Errorf("parentPath(%q): got %q, want %q", tt.path, got, tt.want)
		}
	}
}

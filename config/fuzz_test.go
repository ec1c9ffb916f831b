package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics or hangs, that every problem
// is an *Error for the file, in file order, and that decoding the same bytes
// twice gives the same result.
func FuzzDecode(f *testing.F) {
	for _, doc := range []string{
		"",
		"~\n",
		"# comment only\n",
		"listen: ${HOST:-127.0.0.1}:${PORT}\nstage: $default\ndebug: true\nport: 8080\nlevel: -1\nratio: 0.5\n",
		"limits:\n  maxBodyBytes: 10485760\n  timeout: 30s\n",
		"functions:\n  hello:\n    backend: process\n    handler: ./bin/hello\n    timeout: 3s\n    memory: 128\n    env: {GREETING: hi}\n" +
			"  teapot:\n    handler: mock\n    response: {statusCode: 418, body: \"short and stout\", h: [1, 2.5, true, ~]}\n",
		"routes:\n  - route: GET /pets/{id}\n    function: hello\n    payload: \"2.0\"\n    methods: [GET, POST]\n  - route: $default\n    methods: ANY\n",
		"base: &b {backend: http, timeout: 1s}\nfunctions:\n  a: {<<: *b, url: x}\n  b: *b\n  c: {<<: [*b, {memory: 1}]}\n",
		`{"listen": ":8080", "limits": {"timeout": "5s"}, "routes": [{"route": "$default", "function": "f"}]}`,
		"functions:\n  hello:\n    timout: 3s\n    memory: ten\n",
		"listen: [a]\nport: -1\nlevel: 300\ndebug: yes\ntrustedProxies: x\nlimits: {timeout: 30x}\n",
		"listen: ${NOPE}\nstage: ${HOST\nregion: ${A:-${B}}\n",
		"listen: a\nlisten: b\n",
		"listen: a\nadmin: b: c\n",
		"- a\n- b\n",
		"listen: a\n---\nstage: b\n",
		"extra: &a [1, *a]\n",
		"functions:\n  f: &f\n    <<: *f\n",
		"extra: !!binary aGk=\nregion: !!int x\n",
		"l0: &l0 [a, a, a]\nl1: &l1 [*l0, *l0, *l0]\nextra: [*l1, *l1, *l1]\n",
		"? [a]\n: b\n",
		"listen: \xff\n",
		"listen: " + strings.Repeat("4", 2000) + "\x10\n",
		"\xff\xfel\x00i\x00s\x00t\x00e\x00n\x00:\x00 \x00x\x00\n\x00",
		"pets: {tom: {kind: cat, lives: 9, toy: ./mouse, friends: jerry}, rex: {kind: dog, lives: 1, wings: 2}}\n",
		"owner: &o {kind: '${KIND:-dog}', breed: pug}\nzoo: [*o, {<<: *o, kind: cat}, {lives: 3}, {kind: cow}]\n",
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c1, c2 decodeTestConfig
		pos1, err1 := Decode("fuzz.yaml", data, &c1, WithLookup(testEnv), WithDir("/config"))
		pos2, err2 := Decode("fuzz.yaml", data, &c2, WithLookup(testEnv), WithDir("/config"))
		errs1, errs2 := fuzzErrors(err1), fuzzErrors(err2)
		if pos1 == nil {
			t.Fatal("got nil Positions")
		}
		var u unionTestConfig
		_, uerr := Decode("fuzz.yaml", data, &u, WithLookup(testEnv))
		for _, err := range append(fuzzErrors(uerr), errs1...) {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz.yaml" {
				t.Fatalf("error %q (%T) is not an *Error for fuzz.yaml", err, err)
			}
			if ce.Line < 0 || ce.Col < 0 || ce.Line > len(data)+1 {
				t.Errorf("error %q has position %d:%d, outside the file", err, ce.Line, ce.Col)
			}
		}
		if !slices.IsSortedFunc(errs1, func(a, b error) int {
			pa, pb := a.(*Error), b.(*Error)
			if pa.Line != pb.Line {
				return pa.Line - pb.Line
			}
			return pa.Col - pb.Col
		}) {
			t.Errorf("errors are not in file order: %q", errs1)
		}
		for path, p := range pos1 {
			if p.Line < 1 || p.Col < 1 || p.Line > len(data)+1 {
				t.Errorf("Positions[%q] = %v, outside the file", path, p)
			}
			if got := pos1.At(path + ".#"); got != p {
				t.Errorf("At(%q): got %v, want %v", path+".#", got, p)
			}
		}
		if len(errs1) != len(errs2) || !reflect.DeepEqual(pos1, pos2) {
			t.Errorf("two decodes differ: %q, %q", errs1, errs2)
		}
		for i := range min(len(errs1), len(errs2)) {
			if errs1[i].Error() != errs2[i].Error() {
				t.Errorf("two decodes differ: %q, %q", errs1[i], errs2[i])
			}
		}
	})
}

func fuzzErrors(err error) []error {
	if err == nil {
		return nil
	}
	return unjoin(err)
}

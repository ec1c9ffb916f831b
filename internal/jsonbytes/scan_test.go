package jsonbytes

import (
	"encoding/json"
	"errors"
	"math/bits"
	"strings"
	"testing"
)

// scanDocument validates data as one complete JSON value.
func scanDocument(data []byte) (Value, error) {
	s := Scanner{data: data}
	v, err := s.ReadValue()
	if err != nil {
		return v, err
	}
	if !s.AtEnd() {
		return v, s.errUnexpected()
	}
	return v, nil
}

var scanDocuments = []string{
	// valid
	`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `10`, `1.5`, `-0.5e10`, `1E+2`, `1e-2`, `123456789012345678901234567890`,
	`""`, `"a"`, `"\"\\\/\b\f\n\r\t"`, `"\u0000\uFFFF\ud83d\ude00"`, `"é😀"`, "\"\xff\xfe\"", `"\ud800"`,
	`[]`, `{}`, `[1,2,3]`, ` [ 1 , [ ] , { } ] `, `{"a":{"b":[{"c":null}]}}`, `{"a":1,"a":2}`,
	`{"":""}`, "\t\n\r {\"a\" :\n1}\n",
	`"01234567890123456789\"0123456789"`, `"0123456\\7890123456789"`,
	// invalid
	``, ` `, `nul`, `nulll`, `True`, `-`, `+1`, `01`, `-01`, `1.`, `.5`, `1e`, `1e+`, `0x10`, `NaN`, `Infinity`,
	`"`, `"abc`, `"\"`, `"\a"`, `"\u12"`, `"\u12g4"`, `"\U1234"`, "\"a\nb\"", "\"\x1f\"", "\"\x7f\"",
	`[`, `]`, `[1`, `[1,]`, `[,1]`, `[1 2]`, `[1,,2]`, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`,
	`{"a" 1}`, `{a:1}`, `{'a':1}`, `{"a":1 "b":2}`, `[}`, `{]`, `[1}`, `{"a":[1}`, `1 2`, `{} {}`, `"a"x`,
	"\xef\xbb\xbf1", "[1]\x00", `/* */ 1`,
}

// TestScanValid compares the scanner's verdict with encoding/json's.
func TestScanValid(t *testing.T) {
	for _, doc := range scanDocuments {
		_, err := scanDocument([]byte(doc))
		if want := json.Valid([]byte(doc)); (err == nil) != want {
			t.Errorf("%q: got error %v, want valid=%v", doc, err, want)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("%q: got error of type %T, want *SyntaxError", doc, err)
		}
	}
}

// TestScanString checks unescaping against encoding/json.
func TestScanString(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		esc       bool
	}{
		{"plain", `"hello world, this is longer than eight bytes"`, false},
		{"empty", `""`, false},
		{"UTF-8", `"héllo 😀 ✓"`, false},
		{"short escapes", `"\"\\\/\b\f\n\r\t"`, true},
		{"escape at every offset", `"abcdefg\nabcdefgh\"abcdefghi\\"`, true},
		{"BMP", `"\u00e9\u20AC\uffff"`, true},
		{"NUL", `"a\u0000b"`, true},
		{"surrogate pair", `"\ud83d\ude00"`, true},
		{"lone high surrogate", `"\ud83dx"`, true},
		{"lone low surrogate", `"\ude00"`, true},
		{"high then BMP escape", `"\ud83d\u0041"`, true},
		{"two high surrogates", `"\ud83d\ud83d\ude00"`, true},
		{"high surrogate at end", `"\ud83d"`, true},
		{"HTML escapes", `"\u003cp\u003eTom \u0026 Jerry\u003c/p\u003e"`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Scanner{data: []byte(c.doc)}
			raw, esc, err := s.readString()
			if err != nil {
				t.Fatal(err)
			}
			if esc != c.esc {
				t.Errorf("got esc %v, want %v", esc, c.esc)
			}
			if s.pos != len(c.doc) {
				t.Errorf("got pos %d, want %d", s.pos, len(c.doc))
			}
			var want string
			if err := json.Unmarshal([]byte(c.doc), &want); err != nil {
				t.Fatal(err)
			}
			if got := string(AppendUnescaped([]byte("prefix:"), raw)); got != "prefix:"+want {
				t.Errorf("got %q, want %q", got, "prefix:"+want)
			}
		})
	}
}

// TestScanStringSpecialMask checks the 8-byte test against the plain
// definition: every byte value at every position, then words mixing special
// and plain bytes, where the first flagged byte must be the first special.
func TestScanStringSpecialMask(t *testing.T) {
	special := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }
	firstSpecial := func(w uint64) int {
		for i := range 8 {
			if special(byte(w >> (8 * i))) {
				return i
			}
		}
		return 8
	}
	check := func(w uint64) {
		t.Helper()
		m := stringSpecialMask(w)
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if want := firstSpecial(w); got != want {
			t.Errorf("word %#016x: got first special %d, want %d", w, got, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			for _, fill := range []uint64{0x6161616161616161, 0xc3c3c3c3c3c3c3c3, 0x2020202020202020, 0x7e7e7e7e7e7e7e7e, 0x2121212121212121, 0x5d5d5d5d5d5d5d5d} {
				check(fill&^(0xff<<(8*pos)) | uint64(c)<<(8*pos))
			}
		}
	}
	// Bytes around the thresholds, in every combination of 4 positions.
	edge := []byte{0x00, 0x1f, 0x20, 0x21, '"' - 1, '"', '"' + 1, '\\' - 1, '\\', '\\' + 1, 0x7f, 0x80, 0xa0, 0xff}
	for _, a := range edge {
		for _, b := range edge {
			for _, c := range edge {
				for _, d := range edge {
					w := uint64(a) | uint64(b)<<8 | uint64(c)<<16 | uint64(d)<<24
					check(w | 0x6161616100000000)
					check(w<<32 | 0x61616161)
				}
			}
		}
	}
}

func TestScanNesting(t *testing.T) {
	for _, c := range []struct {
		name  string
		doc   string
		valid bool
	}{
		{"arrays at the limit", strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting), true},
		{"arrays past the limit", strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1), false},
		{"objects at the limit", strings.Repeat(`{"k":`, MaxNesting-1) + "{}" + strings.Repeat("}", MaxNesting-1), true},
		{"objects past the limit", strings.Repeat(`{"k":`, MaxNesting) + "{}" + strings.Repeat("}", MaxNesting), false},
		{"mixed past the limit", strings.Repeat(`[{"k":`, MaxNesting/2) + "[1]" + strings.Repeat("}]", MaxNesting/2), false},
		{"mismatched deep", strings.Repeat("[", 100) + strings.Repeat("}", 100), false},
		{"deep unterminated", strings.Repeat("[", 5_000_000), false},
		{"wide and shallow", "[" + strings.Repeat("[1],{\"a\":[]},", 10000) + "0]", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := scanDocument([]byte(c.doc))
			if (err == nil) != c.valid {
				t.Errorf("got error %v, want valid=%v", err, c.valid)
			}
		})
	}
}

func TestScanMembers(t *testing.T) {
	doc := []byte(` { "a" : 1 , "b\u0021" : [ true , null , "x" ] , "c" : { } } `)
	s := Scanner{data: doc}
	if err := s.BeginObject(); err != nil {
		t.Fatal(err)
	}
	var keys, values []string
	for first := true; ; first = false {
		key, esc, more, err := s.NextMember(first)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		v, err := s.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, string(Value{Raw: key, Kind: String, Escaped: esc}.Text(new([]byte))))
		values = append(values, string(v.Raw))
		if v.Kind == Array {
			as := Scanner{data: v.Raw}
			if err := as.BeginArray(); err != nil {
				t.Fatal(err)
			}
			var elems []string
			for first := true; ; first = false {
				more, err := as.NextElement(first)
				if err != nil {
					t.Fatal(err)
				}
				if !more {
					break
				}
				e, err := as.ReadValue()
				if err != nil {
					t.Fatal(err)
				}
				elems = append(elems, string(e.Raw))
			}
			if got, want := strings.Join(elems, "|"), "true|null|x"; got != want {
				t.Errorf("got elements %q, want %q", got, want)
			}
		}
	}
	if got, want := strings.Join(keys, "|"), "a|b!|c"; got != want {
		t.Errorf("got keys %q, want %q", got, want)
	}
	if got, want := strings.Join(values, "|"), `1|[ true , null , "x" ]|{ }`; got != want {
		t.Errorf("got values %q, want %q", got, want)
	}
	if !s.AtEnd() {
		t.Errorf("got pos %d, want the end", s.pos)
	}
}

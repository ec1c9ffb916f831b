package jsonbytes

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScanValue checks the scanner against encoding/json: the same verdict
// on validity, and the same text for a string.
func FuzzScanValue(f *testing.F) {
	for _, doc := range scanDocuments {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := scanDocument(data)
		if want := json.Valid(data); (err == nil) != want {
			t.Fatalf("%q: got error %v, want valid=%v", data, err, want)
		}
		if err != nil || v.Kind != String || !utf8.Valid(data) {
			return
		}
		var want string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if got := string(v.Text(new([]byte))); got != want {
			t.Fatalf("%q: got %q, want %q", data, got, want)
		}
	})
}

// FuzzAppendString checks the string encoders: valid JSON that decodes to
// the input (invalid UTF-8 replaced), ASCII only when asked, and U+2028 and
// U+2029 never raw in a JavaScript string.
func FuzzAppendString(f *testing.F) {
	for _, seed := range []string{"", "plain", "quote\" back\\ nl\n tab\t nul\x00", "é😀\u2028", "\xff\xfe", "\xed\xa0\x80"} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, s string, asciiOnly bool) {
		for name, b := range map[string][]byte{
			"AppendString":   AppendString(nil, s),
			"AppendJSString": AppendJSString(nil, s, asciiOnly),
		} {
			var got string
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%s: %q → %q: %v", name, s, b, err)
			}
			if want := strings.ToValidUTF8(s, "\uFFFD"); got != want && utf8.ValidString(s) {
				t.Fatalf("%s: %q → %q → %q", name, s, b, got)
			}
			if name == "AppendJSString" && strings.ContainsAny(string(b), "\u2028\u2029") {
				t.Fatalf("%s: %q → %q: raw line separator", name, s, b)
			}
			if name == "AppendJSString" && asciiOnly {
				for _, c := range b {
					if c >= 0x80 {
						t.Fatalf("%s: %q → %q: non-ASCII byte", name, s, b)
					}
				}
			}
		}
	})
}

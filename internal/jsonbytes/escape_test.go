package jsonbytes

import (
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	cases := []struct {
		name, in         string
		plain, js, ascii string
	}{
		{"empty", "", `""`, `""`, `""`},
		{"safe words, then escapes", "Bearer abcdefghijklmnopq\"\n\u2028é", "\"Bearer abcdefghijklmnopq\\\"\\n\u2028é\"", `"Bearer abcdefghijklmnopq\"\n\u2028é"`, `"Bearer abcdefghijklmnopq\"\n\u2028\u00e9"`},
		{"short escapes", "q\" b\\ n\n r\r t\t", `"q\" b\\ n\n r\r t\t"`, `"q\" b\\ n\n r\r t\t"`, `"q\" b\\ n\n r\r t\t"`},
		{"control", "\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`, `"\u0000\u001f` + "\x7f" + `"`, `"\u0000\u001f` + "\x7f" + `"`},
		{"non-ASCII", "é€😀", `"é€😀"`, `"é€😀"`, `"\u00e9\u20ac\ud83d\ude00"`},
		{"line separators", "a\u2028b\u2029c", "\"a\u2028b\u2029c\"", `"a\u2028b\u2029c"`, `"a\u2028b\u2029c"`},
		{"invalid UTF-8", "a\xffb\xed\xa0\x80\xe2\x82", `"a\ufffdb\ufffd\ufffd\ufffd\ufffd\ufffd"`, `"a\ufffdb\ufffd\ufffd\ufffd\ufffd\ufffd"`, `"a\ufffdb\ufffd\ufffd\ufffd\ufffd\ufffd"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(AppendString([]byte("x"), c.in)); got != "x"+c.plain {
				t.Errorf("AppendString: got %s, want x%s", got, c.plain)
			}
			if got := string(AppendString(nil, []byte(c.in))); got != c.plain {
				t.Errorf("AppendString([]byte): got %s, want %s", got, c.plain)
			}
			if got, want := string(AppendStringBody(nil, c.in)), c.plain[1:len(c.plain)-1]; got != want {
				t.Errorf("AppendStringBody: got %s, want %s", got, want)
			}
			if got := string(AppendJSString(nil, c.in, false)); got != c.js {
				t.Errorf("AppendJSString: got %s, want %s", got, c.js)
			}
			if got := string(AppendJSString(nil, c.in, true)); got != c.ascii {
				t.Errorf("AppendJSString ASCII only: got %s, want %s", got, c.ascii)
			}
		})
	}
}

// TestSafeWord compares the word test with the byte table for every byte
// value at every position of a word of safe bytes, and next to every other
// value (the bit tricks' borrows run from one byte into the next).
func TestSafeWord(t *testing.T) {
	safe := func(b byte) bool { return b < utf8.RuneSelf && safeASCII[b] }
	for pos := range 8 {
		for v := range 256 {
			for _, w := range []int{'a', 0, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xff, v} {
				word := []byte("abcdefgh")
				word[pos] = byte(v)
				if pos < 7 {
					word[pos+1] = byte(w)
				}
				want := true
				for _, b := range word {
					want = want && safe(b)
				}
				if got := safeWord(load64(string(word), 0)); got != want {
					t.Fatalf("%q: safeWord %v, want %v", word, got, want)
				}
			}
		}
	}
}

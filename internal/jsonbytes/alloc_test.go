//go:build !race

package jsonbytes

import "testing"

// TestAlloc holds the encoders and the scanner to 0 allocations when the
// caller's buffer is large enough.
func TestAlloc(t *testing.T) {
	doc := []byte(`{"a":"é\u0041\n","b":[1,true,null,{"c":-1.5e3}]}`)
	buf := make([]byte, 0, 1024)
	text := make([]byte, 0, 1024)
	for name, fn := range map[string]func(){
		"AppendString":   func() { buf = AppendString(buf[:0], "quote\" é😀 \xff") },
		"AppendJSString": func() { buf = AppendJSString(buf[:0], "quote\" é😀 \u2028", true) },
		"Scanner": func() {
			s := NewScanner(doc)
			if err := s.BeginObject(); err != nil {
				t.Fatal(err)
			}
			for first := true; ; first = false {
				_, _, more, err := s.NextMember(first)
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
				v.Text(&text)
			}
		},
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: got %v allocations, want 0", name, n)
		}
	}
}

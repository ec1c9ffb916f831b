package httptoken

import "testing"

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"Content-Type", true}, {"x-api-key", true}, {"GET", true}, {"!#$%&'*+-.^_`|~09azAZ", true},
		{"", false}, {"Bad Name", false}, {"a:b", false}, {"a\x00", false}, {"é", false}, {"(x)", false}, {"a/b", false},
	} {
		if got := Valid(tc.s); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.s, got, tc.want)
		}
		if got := Valid([]byte(tc.s)); got != tc.want {
			t.Errorf("Valid([]byte(%q)) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

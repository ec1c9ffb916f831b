package config

import "testing"

func TestSuggest(t *testing.T) {
	known := []string{"route", "function", "payload", "timeout", "id"}
	tests := []struct{ unknown, want string }{
		{"timout", ` (did you mean "timeout"?)`},
		{"tiemout", ` (did you mean "timeout"?)`},
		{"Payload", ` (did you mean "payload"?)`},
		{"FUNCTION", ` (did you mean "function"?)`},
		{"routes", ` (did you mean "route"?)`},
		{"x", ""},
		{"handler", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.unknown, known); got != tt.want {
			t.Errorf("Suggest(%q): got %q, want %q", tt.unknown, got, tt.want)
		}
	}
}

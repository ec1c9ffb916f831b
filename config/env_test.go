package config

import (
	"errors"
	"testing"
)

func TestExpandEnv(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"no dollar", "plain text", "plain text", ""},
		{"empty", "", "", ""},
		{"set", "${HOST}", "0.0.0.0", ""},
		{"in text", "http://${HOST}:${PORT}/x", "http://0.0.0.0:8080/x", ""},
		{"adjacent", "${HOST}${PORT}", "0.0.0.08080", ""},
		{"set but empty", "[${EMPTY}]", "[]", ""},
		{"default unused", "${PORT:-80}", "8080", ""},
		{"default for unset", "${NOPE:-80}", "80", ""},
		{"default for empty", "${EMPTY:-80}", "80", ""},
		{"empty default", "${NOPE:-}", "", ""},
		{"default with spaces", "${NOPE:-a b  c}", "a b  c", ""},
		{"default with a lone dollar", "${NOPE:-$default}", "$default", ""},
		{"default with :-", "${NOPE:-a:-b}", "a:-b", ""},
		{"value not expanded again", "${REF}", "${HOST}", ""},
		{"dollar dollar", "$$", "$", ""},
		{"escaped expression", "$${HOST}", "${HOST}", ""},
		{"dollar dollar dollar", "$$$", "$$", ""},
		{"lone dollar", "$default", "$default", ""},
		{"dollar at the end", "cost: 5$", "cost: 5$", ""},
		{"dollar then space", "$ {HOST}", "$ {HOST}", ""},
		{"shell style is literal", "$HOST", "$HOST", ""},
		{"underscore and digits", "${_A1:-ok}", "ok", ""},
		{"unset", "${NOPE}", "", "${NOPE} is not set"},
		{"two unset", "${NOPE}-${NADA}", "", "${NOPE} is not set\n${NADA} is not set"},
		{"unterminated", "a ${HOST", "", `unterminated "${HOST" (missing "}")`},
		{"unterminated default", "${HOST:-x y", "", `unterminated "${HOST:-x y" (missing "}")`},
		{"unset then unterminated", "${NOPE} ${X", "", "${NOPE} is not set\nunterminated \"${X\" (missing \"}\")"},
		{"empty name", "${}", "", `missing variable name in "${}"`},
		{"empty name with default", "${:-x}", "", `missing variable name in "${:-x}"`},
		{"name starting with a digit", "${1A}", "", `invalid "${1A}": want ${VAR} or ${VAR:-default}`},
		{"name with a space", "${A B}", "", `invalid "${A B}": want ${VAR} or ${VAR:-default}`},
		{"other operator", "${A:=x}", "", `invalid "${A:=x}": want ${VAR} or ${VAR:-default}`},
		{"nested", "${NOPE:-${HOST}}", "", `invalid "${NOPE:-${HOST}": a default cannot hold another ${...}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := expandEnv(tt.in, testEnv)
			err := errors.Join(errs...)
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("expandEnv(%q): got error %v, want %q", tt.in, err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("expandEnv(%q): got error %v, want %q", tt.in, err, tt.want)
			case got != tt.want:
				t.Errorf("expandEnv(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandEnvNilLookup(t *testing.T) {
	t.Setenv("PORTICO_TEST_EXPAND", "from-os")
	got, errs := expandEnv("${PORTICO_TEST_EXPAND}", nil)
	if errs != nil || got != "from-os" {
		t.Errorf("expandEnv with nil lookup: got %q, %v, want %q", got, errs, "from-os")
	}
}

func TestIsEnvName(t *testing.T) {
	for name, want := range map[string]bool{
		"A": true, "_": true, "a_b9": true, "PORTICO_PORT": true,
		"": false, "9A": false, "A-B": false, "A.B": false, "é": false,
	} {
		if got := isEnvName(name); got != want {
			t.Errorf("isEnvName(%q): got %v, want %v", name, got, want)
		}
	}
}

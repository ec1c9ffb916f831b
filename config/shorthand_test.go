package config

import (
	"strings"
	"testing"
)

// shorthandTestAdmin is written as {listen, token} or as its listen alone.
type shorthandTestAdmin struct {
	Listen string `yaml:"listen"`
	Token  string `yaml:"token"`
}

func (*shorthandTestAdmin) ShorthandKey() string { return "listen" }

func TestDecodeShorthand(t *testing.T) {
	type root struct {
		Admin  shorthandTestAdmin  `yaml:"admin"`
		Backup *shorthandTestAdmin `yaml:"backup"`
	}
	lookup := WithLookup(func(string) (string, bool) { return "secret", true })
	for _, tc := range []struct {
		name, doc string
		want      shorthandTestAdmin
	}{
		{"scalar", "admin: 127.0.0.1:9090\n", shorthandTestAdmin{Listen: "127.0.0.1:9090"}},
		{"mapping", "admin: {listen: 127.0.0.1:9091, token: \"${T}\"}\n", shorthandTestAdmin{Listen: "127.0.0.1:9091", Token: "secret"}},
		{"empty string", "admin: \"\"\n", shorthandTestAdmin{}},
		{"expanded scalar", "admin: ${T}\n", shorthandTestAdmin{Listen: "secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c root
			pos, err := Decode("f.yaml", []byte(tc.doc), &c, lookup)
			if err != nil {
				t.Fatal(err)
			}
			if c.Admin != tc.want {
				t.Errorf("got %+v, want %+v", c.Admin, tc.want)
			}
			if got := pos.At("admin.listen"); tc.want.Listen != "" && got.Line != 1 {
				t.Errorf("admin.listen at %+v, want line 1", got)
			}
		})
	}
	t.Run("through a pointer", func(t *testing.T) {
		var c root
		if _, err := Decode("f.yaml", []byte("backup: 127.0.0.1:1\n"), &c); err != nil {
			t.Fatal(err)
		}
		if c.Backup == nil || c.Backup.Listen != "127.0.0.1:1" {
			t.Errorf("got %+v, want listen 127.0.0.1:1", c.Backup)
		}
	})
	for _, tc := range []struct{ name, doc, want string }{
		{"a list", "admin: [a]\n", "f.yaml:1:8: admin: expected a mapping, got a list"},
		{"an unknown key", "admin: {listen: a, tokn: b}\n", `f.yaml:1:20: admin: unknown field "tokn"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c root
			_, err := Decode("f.yaml", []byte(tc.doc), &c)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v, want %s…", err, tc.want)
			}
		})
	}
}

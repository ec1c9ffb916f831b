package cors

import "testing"

func TestAllows(t *testing.T) {
	p := New(&Config{AllowOrigins: []string{"https://app.example.com", "http://*"}})
	for origin, want := range map[string]bool{
		"https://app.example.com":  true,
		"https://app.example.com.": false,
		"https://evil.example.com": false,
		"http://anything.test":     true,
		"http://":                  false,
		"":                         false,
	} {
		if got := p.Allows([]byte(origin)); got != want {
			t.Errorf("Allows(%q) = %v, want %v", origin, got, want)
		}
	}
	if New(nil) != nil {
		t.Errorf("New(nil) is a policy, want none")
	}
}

func TestValidate(t *testing.T) {
	c := &Config{AllowOrigins: []string{"https://*", "ftp://x"}, AllowCredentials: true, AllowMethods: []string{"GET", "BAD METHOD"}, MaxAge: 90000}
	want := []string{
		`allowOrigins[0]: "https://*" cannot be combined with allowCredentials: list the origins`,
		`allowOrigins[1]: want an origin such as "https://app.example.com", "https://*" or "*", got "ftp://x"`,
		`allowMethods[1]: not a method: "BAD METHOD"`,
		`maxAge: want -1 to 86400 seconds, got 90000`,
	}
	errs := c.Validate()
	if len(errs) != len(want) {
		t.Fatalf("got %v, want %d problems", errs, len(want))
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("problem %d: got %q, want %q", i, err, want[i])
		}
	}
}

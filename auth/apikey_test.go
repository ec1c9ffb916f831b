package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/portico/portico/internal/awsid"
)

func boolPtr(b bool) *bool { return &b }

var testAPIKeys = []APIKeyConfig{
	{Name: "partner-a", Value: "a-key-0123456789abcdef", UsagePlan: "gold"},
	{Name: "partner-b", Value: "b-key-0123456789abcdef"},
	{Name: "retired", Value: "r-key-0123456789abcdef", UsagePlan: "gold", Enabled: boolPtr(false)},
	{Name: "partner-c", Value: "c-key-0123456789abcdef", Enabled: boolPtr(true), UsagePlan: "silver"},
}

func TestAPIKeys(t *testing.T) {
	logger, logs := observed()
	s := mustNew(t, map[string]*AuthorizerConfig{"keys": {Type: "apikey"}}, testAPIKeys, Options{API: "rest", Logger: logger, UsagePlans: []string{"silver", "gold"}})
	a := mustRoute(t, s, "keys", nil, "GET /partner")
	if a.Type() != "apikey" {
		t.Errorf("Type: got %q, want apikey", a.Type())
	}
	for _, tc := range []struct {
		name, key      string
		wantName, plan string
		planIndex      int // plan's position in UsagePlans, plus one
	}{
		{"missing", "\x00", "", "", 0},
		{"empty", "", "", "", 0},
		{"wrong", "x-key-0123456789abcdef", "", "", 0},
		{"prefix of a key", "a-key-0123456789abcde", "", "", 0},
		{"key plus a byte", "a-key-0123456789abcdefX", "", "", 0},
		{"other case", "A-KEY-0123456789ABCDEF", "", "", 0},
		{"disabled", "r-key-0123456789abcdef", "", "", 0},
		{"first", "a-key-0123456789abcdef", "partner-a", "gold", 2},
		{"no plan", "b-key-0123456789abcdef", "partner-b", "", 0},
		{"enabled explicitly", "c-key-0123456789abcdef", "partner-c", "silver", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.key != "\x00" {
				h["X-API-Key"] = tc.key
			}
			res, err := a.Authenticate(context.Background(), request(h, nil))
			if tc.wantName == "" {
				if kindOf(t, err) != KindForbidden {
					t.Fatalf("got %v, want forbidden", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.APIKey != tc.wantName || res.Principal != tc.wantName || res.UsagePlan != tc.plan || res.Plan != tc.planIndex {
				t.Errorf("got key %q principal %q plan %q (%d), want %q %q (%d)", res.APIKey, res.Principal, res.UsagePlan, res.Plan, tc.wantName, tc.plan, tc.planIndex)
			}
			wantExtra := `"apiKey":"` + tc.key + `","apiKeyId":"` + awsid.StableID(tc.wantName, 10) + `"`
			if string(res.IdentityExtra) != wantExtra {
				t.Errorf("IdentityExtra: got %s, want %s", res.IdentityExtra, wantExtra)
			}
			if res.AuthorizerV1 != nil || res.AuthorizerV2 != nil {
				t.Errorf("authorizer objects: got %s %s, want none", res.AuthorizerV1, res.AuthorizerV2)
			}
		})
	}
	// Every rejection is counted; none is logged here: the gateway's access
	// log line is a rejection's one line (gateway/errorlog_test.go).
	if got := s.Stats()["forbidden"]; got != 7 {
		t.Errorf("forbidden: got %d, want 7", got)
	}
	if got := s.Stats()["allowed"]; got != 3 {
		t.Errorf("allowed: got %d, want 3", got)
	}
	if n := logs.Len(); n != 0 {
		t.Errorf("auth logged %d lines: %v", n, logs.All())
	}
}

// TestDenyRefusesEveryKey: a deny authorizer refuses every request, a
// valid API key of the config included (an apikey authorizer would let
// it in).
func TestDenyRefusesEveryKey(t *testing.T) {
	s := mustNew(t, map[string]*AuthorizerConfig{"closed": {Type: "deny"}}, testAPIKeys, Options{API: "rest", UsagePlans: []string{"silver", "gold"}})
	a := mustRoute(t, s, "closed", nil, "GET /private")
	if a.Type() != "deny" {
		t.Errorf("Type: got %q, want deny", a.Type())
	}
	for _, key := range []string{"", "a-key-0123456789abcdef", "b-key-0123456789abcdef"} {
		_, err := a.Authenticate(context.Background(), request(map[string]string{"X-API-Key": key}, nil))
		if kindOf(t, err) != KindForbidden {
			t.Errorf("key %q: got %v, want forbidden", key, err)
		}
	}
}

func TestAPIKeyUnknownPlan(t *testing.T) {
	_, err := New(nil, testAPIKeys, Options{UsagePlans: []string{"gold"}})
	if err == nil || err.Error() != `auth: apiKeys[3] (partner-c): unknown usage plan "silver"` {
		t.Errorf("got %v, want the key and its unknown plan", err)
	}
}

// TestAPIKeyConstantTime checks the comparison's structure: every lookup
// compares against every enabled key, whether the first, the last or none
// matches.
func TestAPIKeyConstantTime(t *testing.T) {
	ring, err := newKeyRing(testAPIKeys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ring.keys) != 3 {
		t.Fatalf("enabled keys: got %d, want 3", len(ring.keys))
	}
	for _, v := range []string{"a-key-0123456789abcdef", "c-key-0123456789abcdef", "nope", "", strings.Repeat("x", 4096)} {
		res, compared := ring.lookup([]byte(v))
		if compared != len(ring.keys) {
			t.Errorf("lookup(%.10q): compared %d keys, want all %d", v, compared, len(ring.keys))
		}
		if (res != nil) != strings.HasSuffix(v, "-key-0123456789abcdef") {
			t.Errorf("lookup(%.10q): got %v", v, res)
		}
	}
}

func TestAPIKeyDuplicates(t *testing.T) {
	keys := []APIKeyConfig{{Name: "a", Value: "same-value"}, {Name: "b", Value: "other"}, {Name: "c", Value: "same-value", Enabled: boolPtr(false)}}
	_, err := New(nil, keys, Options{})
	want := "auth: apiKeys[2] (c) has the same value as apiKeys[0] (a)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if strings.Contains(err.Error(), "same-value") {
		t.Errorf("the error shows the key: %v", err)
	}
}

func TestKeyID(t *testing.T) {
	if a, b := awsid.StableID("partner-a", 10), awsid.StableID("partner-a", 10); a != b || len(a) != 10 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("keyID: got %q and %q, want one stable 10-character id", a, b)
	}
	if awsid.StableID("partner-a", 10) == awsid.StableID("partner-b", 10) {
		t.Errorf("keyID: same id for different names")
	}
}

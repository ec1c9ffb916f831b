package awsid

import (
	"regexp"
	"testing"
	"time"
)

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		u := NewUUID()
		if !re.MatchString(u) {
			t.Fatalf("NewUUID() = %q, not a version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("NewUUID() repeated %q", u)
		}
		seen[u] = true
	}
}

func TestTraceID(t *testing.T) {
	now := time.Unix(0x5f84c7a1, 0)
	got := NewTraceID(now)
	if !regexp.MustCompile(`^Root=1-5f84c7a1-[0-9a-f]{24}$`).MatchString(got) {
		t.Errorf("NewTraceID = %q", got)
	}
	if len(got) != TraceIDLen {
		t.Errorf("len = %d, want TraceIDLen %d", len(got), TraceIDLen)
	}
}

package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestMockScenarioInProcess runs the mock scenario briefly with in-process
// targets: rows, ratios and a report come out, and nothing errors.
func TestMockScenarioInProcess(t *testing.T) {
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "mock", Connections: 4, Duration: 300 * time.Millisecond, WarmUp: 50 * time.Millisecond, Rounds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 5 || len(rep.Ratios) != 3 {
		t.Fatalf("results %d ratios %d", len(rep.Results), len(rep.Ratios))
	}
	for _, r := range rep.Results {
		if r.Requests == 0 || r.ErrorCount != 0 || r.Status["200"] != r.Requests {
			t.Errorf("%s: requests %d errors %d status %v", r.Name, r.Requests, r.ErrorCount, r.Status)
		}
	}
	for _, r := range rep.Ratios {
		if r.Median <= 0 {
			t.Errorf("ratio %s = %v", r.Name, r.Median)
		}
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, "test", rep.Results); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html.String(), "<polyline"); n != 2*len(rep.Results) {
		t.Errorf("%d plot lines, want %d", n, 2*len(rep.Results))
	}
	var table bytes.Buffer
	WriteTable(&table, rep.Results)
	if !strings.Contains(table.String(), "gateway mock 2.0 #1") {
		t.Errorf("table:\n%s", table.String())
	}
}

func TestUnknownScenario(t *testing.T) {
	if _, err := RunScenario(context.Background(), ScenarioOptions{Name: "nope"}); err == nil {
		t.Error("unknown scenario accepted")
	}
}

// TestProcessScenarioInProcess runs the process scenario briefly: a row
// per connection count for each of hello and echo, every request a 200,
// and the ratios at each count.
func TestProcessScenarioInProcess(t *testing.T) {
	rep, err := RunScenario(context.Background(), ScenarioOptions{
		Name: "process", Duration: 200 * time.Millisecond, WarmUp: 50 * time.Millisecond, Rounds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Results), 2*len(processSweep); got != want {
		t.Fatalf("results %d, want %d", got, want)
	}
	if got, want := len(rep.Ratios), len(processSweep)+1; got != want {
		t.Fatalf("ratios %d, want %d", got, want)
	}
	for _, r := range rep.Results {
		if r.Requests == 0 || r.ErrorCount != 0 || r.Status["200"] != r.Requests {
			t.Errorf("%s: requests %d errors %d status %v", r.Name, r.Requests, r.ErrorCount, r.Status)
		}
	}
	if !strings.Contains(rep.Results[len(rep.Results)-1].Name, "process hello -c 50") {
		t.Errorf("last row %q", rep.Results[len(rep.Results)-1].Name)
	}
}

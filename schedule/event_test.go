package schedule

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"testing"
	"time"
)

// TestAppendEventShape rebuilds AWS's example events from their own values:
// the EventBridge guide's byte for byte (once compacted: same fields, same
// order), the Lambda guide's as the same set of fields and values.
func TestAppendEventShape(t *testing.T) {
	for _, file := range []string{"eventbridge-docs.scheduled-event.json", "lambda-docs.scheduled-event.json"} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/aws-examples/" + file)
			if err != nil {
				t.Fatal(err)
			}
			var ex struct {
				ID        string   `json:"id"`
				Account   string   `json:"account"`
				Region    string   `json:"region"`
				Time      string   `json:"time"`
				Resources []string `json:"resources"`
			}
			if err := json.Unmarshal(raw, &ex); err != nil {
				t.Fatal(err)
			}
			tick, err := time.Parse(time.RFC3339, ex.Time)
			if err != nil {
				t.Fatal(err)
			}
			rule := ex.Resources[0][len("arn:aws:events:"+ex.Region+":"+ex.Account+":rule/"):]
			arn := RuleARN(ex.Region, ex.Account, rule)
			if arn != ex.Resources[0] {
				t.Fatalf("RuleARN: got %s, want %s", arn, ex.Resources[0])
			}
			// A tick in another zone is written in UTC.
			got := AppendEvent(nil, ex.ID, tick.In(time.FixedZone("x", 5*3600)), ex.Account, ex.Region, arn)

			var gotMap, wantMap any
			if err := json.Unmarshal(got, &gotMap); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, got)
			}
			json.Unmarshal(raw, &wantMap)
			if !jsonEqual(gotMap, wantMap) {
				t.Errorf("got  %s\nwant %s", got, raw)
			}
			if file == "eventbridge-docs.scheduled-event.json" {
				var compact bytes.Buffer
				json.Compact(&compact, raw)
				if !bytes.Equal(got, compact.Bytes()) {
					t.Errorf("got  %s\nwant %s", got, compact.Bytes())
				}
			}
			keys := slices.Sorted(maps.Keys(gotMap.(map[string]any)))
			wantKeys := []string{"account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"}
			if !slices.Equal(keys, wantKeys) {
				t.Errorf("fields: got %v, want %v", keys, wantKeys)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

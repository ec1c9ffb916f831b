package eventsource

import (
	"errors"
	"slices"
	"testing"
)

func TestFailedItems(t *testing.T) {
	batch := []*message{{id: "a"}, {id: "b"}, {id: "c"}}
	tests := []struct {
		name   string
		result string
		want   []int
		bad    bool
	}{
		{"empty result", "", nil, false},
		{"null", "null", nil, false},
		{"empty object", "{}", nil, false},
		{"null list", `{"batchItemFailures":null}`, nil, false},
		{"empty list", `{"batchItemFailures":[]}`, nil, false},
		{"other keys", `{"statusCode":200}`, nil, false},
		{"two failed", `{"batchItemFailures":[{"itemIdentifier":"c"},{"itemIdentifier":"a"}]}`, []int{2, 0}, false},
		{"invalid JSON", `{"batchItemFailures":[`, nil, true},
		{"a string", `"done"`, nil, true},
		{"empty identifier", `{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, true},
		{"null identifier", `{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, true},
		{"bad key name", `{"batchItemFailures":[{"itemId":"a"}]}`, nil, true},
		{"unknown identifier", `{"batchItemFailures":[{"itemIdentifier":"z"}]}`, nil, true},
		{"identifier not a string", `{"batchItemFailures":[{"itemIdentifier":1}]}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := failedItems([]byte(tt.result), batch)
			if tt.bad {
				if !errors.Is(err, errBadBatchResponse) {
					t.Fatalf("got %v, %v; want an errBadBatchResponse", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

package eventsource

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/goccy/go-json"
)

// batchResponse is the partial batch response a function gives with
// ReportBatchItemFailures.
type batchResponse struct {
	BatchItemFailures []struct {
		ItemIdentifier *string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// errBadBatchResponse wraps every reason a partial batch response fails
// the whole batch.
var errBadBatchResponse = errors.New("eventsource: invalid batch response")

// failedItems reads a function's partial batch response and returns the
// indexes into batch of the messages it reports failed, following
// Lambda's rules: an empty result, null, {}, and a null or empty
// batchItemFailures are complete successes; a result that is not that
// object (invalid JSON, another type), an itemIdentifier that is missing,
// null, empty, or names no message of the batch fails the whole batch,
// reported as an error wrapping errBadBatchResponse.
func failedItems(result []byte, batch []*message) ([]int, error) {
	result = bytes.TrimSpace(result)
	if len(result) == 0 || string(result) == "null" {
		return nil, nil
	}
	if result[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", errBadBatchResponse)
	}
	var resp batchResponse
	if err := json.Unmarshal(result, &resp); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadBatchResponse, err)
	}
	var failed []int
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" {
			return nil, fmt.Errorf("%w: an itemIdentifier is missing or empty", errBadBatchResponse)
		}
		i := indexOf(batch, *f.ItemIdentifier)
		if i < 0 {
			return nil, fmt.Errorf("%w: itemIdentifier %q is not in the batch", errBadBatchResponse, *f.ItemIdentifier)
		}
		failed = append(failed, i)
	}
	return failed, nil
}

func indexOf(batch []*message, id string) int {
	for i, m := range batch {
		if m.id == id {
			return i
		}
	}
	return -1
}

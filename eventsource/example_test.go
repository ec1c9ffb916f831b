package eventsource_test

import (
	"fmt"

	"github.com/portico/portico/config"
	"github.com/portico/portico/eventsource"
)

// The entries of `eventSources:` decode into Config, each type's keys
// inlined, and Validate names the keys the type does not use.
func ExampleConfig_Validate() {
	var root struct {
		EventSources []eventsource.Config `yaml:"eventSources"`
	}
	_, err := config.Decode("portico.yaml", []byte(`
eventSources:
  - {function: job, type: sqs, queueUrl: "http://127.0.0.1:4100/100010001000/orders", batchSize: 10,
     maximumBatchingWindow: 1s, functionResponseTypes: [ReportBatchItemFailures],
     endpoint: "http://127.0.0.1:4100", region: us-east-1}
  - {function: job, type: redis, stream: orders, group: portico, batchSize: 10,
     visibilityTimeout: 30s, maxReceiveCount: 5, deadLetterStream: orders-dlq}
  - {function: job, type: redis, stream: orders, group: portico, queueUrl: "http://127.0.0.1:4100/1/q"}
`), &root)
	fmt.Println(err)
	for i, c := range root.EventSources {
		fmt.Println(i, c.Name(), c.Validate())
	}
	// Output:
	// <nil>
	// 0 http://127.0.0.1:4100/100010001000/orders []
	// 1 orders/portico []
	// 2 orders/portico [queueUrl: not used by type redis]
}

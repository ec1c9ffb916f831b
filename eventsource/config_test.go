package eventsource

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	sqsOK := func() Config {
		return Config{Function: "f", Type: TypeSQS, SQS: SQSConfig{QueueURL: "http://127.0.0.1:4100/100010001000/orders"}}
	}
	redisOK := func() Config {
		return Config{Function: "f", Type: TypeRedis, Redis: RedisConfig{Stream: "orders", Group: "portico"}}
	}
	tests := []struct {
		name string
		cfg  func() Config
		want string // "" for valid; else the joined messages
	}{
		{"sqs minimal", sqsOK, ""},
		{"redis minimal", redisOK, ""},
		{"sqs full", func() Config {
			c := sqsOK()
			c.BatchSize, c.MaximumBatchingWindow = 10000, 300*time.Second
			c.FunctionResponseTypes = []string{ReportBatchItemFailures}
			c.SQS.Endpoint, c.SQS.Region = "http://127.0.0.1:4100", "us-east-1"
			return c
		}, ""},
		{"redis full", func() Config {
			c := redisOK()
			c.Redis.VisibilityTimeout, c.Redis.MaxReceiveCount, c.Redis.DeadLetterStream = 30*time.Second, 5, "orders-dlq"
			return c
		}, ""},
		{"no function", func() Config { c := sqsOK(); c.Function = ""; return c }, "function: required"},
		{"no type", func() Config { c := sqsOK(); c.Type = ""; return c }, "type: required: sqs or redis"},
		{"bad type", func() Config { c := sqsOK(); c.Type = "kafka"; return c }, `type: want sqs or redis, got "kafka"`},
		{"batch too big", func() Config { c := sqsOK(); c.BatchSize, c.MaximumBatchingWindow = 10001, time.Second; return c }, "batchSize: must be at most 10000"},
		{"batch negative", func() Config { c := sqsOK(); c.BatchSize = -1; return c }, "batchSize: must not be negative"},
		{"batch over 10 without window", func() Config { c := sqsOK(); c.BatchSize = 11; return c }, "batchSize: above 10 needs maximumBatchingWindow"},
		{"window too long", func() Config { c := sqsOK(); c.MaximumBatchingWindow = 301 * time.Second; return c }, "maximumBatchingWindow: must be between 0s and 300s"},
		{"sqs window fraction", func() Config { c := sqsOK(); c.MaximumBatchingWindow = 1500 * time.Millisecond; return c }, "maximumBatchingWindow: must be a whole number of seconds"},
		{"bad response type", func() Config { c := sqsOK(); c.FunctionResponseTypes = []string{"Nope"}; return c }, `functionResponseTypes[0]: want ReportBatchItemFailures, got "Nope"`},
		{"sqs without queue", func() Config { c := sqsOK(); c.SQS.QueueURL = ""; return c }, "queueUrl: required"},
		{"sqs bad queue", func() Config { c := sqsOK(); c.SQS.QueueURL = "orders"; return c }, "queueUrl: want a queue URL"},
		{"sqs bad endpoint", func() Config { c := sqsOK(); c.SQS.Endpoint = "127.0.0.1:4100"; return c }, "endpoint: want an absolute http:// or https:// URL"},
		{"redis key on sqs", func() Config { c := sqsOK(); c.Redis.Stream = "s"; return c }, "stream: not used by type sqs"},
		{"sqs key on redis", func() Config { c := redisOK(); c.SQS.QueueURL = "http://x/1/q"; return c }, "queueUrl: not used by type redis"},
		{"redis without stream and group", func() Config { c := redisOK(); c.Redis.Stream, c.Redis.Group = "", ""; return c }, "stream: required\ngroup: required"},
		{"visibility too short", func() Config { c := redisOK(); c.Redis.VisibilityTimeout = time.Millisecond; return c }, "visibilityTimeout: must be between 1s and 12h"},
		{"maxReceiveCount without dlq", func() Config { c := redisOK(); c.Redis.MaxReceiveCount = 3; return c }, "maxReceiveCount: needs deadLetterStream"},
		{"dlq is the stream", func() Config { c := redisOK(); c.Redis.DeadLetterStream = "orders"; return c }, "deadLetterStream: must differ from stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg()
			var msgs []string
			for _, err := range cfg.Validate() {
				msgs = append(msgs, err.Error())
			}
			got := strings.Join(msgs, "\n")
			if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

package eventsource

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/fielderr"
)

// The types of event source.
const (
	TypeSQS   = "sqs"
	TypeRedis = "redis"
)

// ReportBatchItemFailures is the one value of functionResponseTypes: the
// function answers {"batchItemFailures":[{"itemIdentifier":"id"}]} and only
// the messages it names are delivered again.
const ReportBatchItemFailures = "ReportBatchItemFailures"

// Lambda's bounds and defaults for an event source mapping, which both
// types follow.
const (
	DefaultBatchSize = 10
	MaxBatchSize     = 10000
	// MaxUnwindowedBatch is the largest batchSize without a
	// maximumBatchingWindow, as Lambda requires for standard queues.
	MaxUnwindowedBatch = 10
	MaxBatchingWindow  = 300 * time.Second
	// DefaultVisibilityTimeout is SQS's default visibility timeout, used
	// for a Redis source without visibilityTimeout.
	DefaultVisibilityTimeout = 30 * time.Second
	// MaxVisibilityTimeout is SQS's longest visibility timeout (12 hours).
	MaxVisibilityTimeout = 12 * time.Hour
)

// Config is one entry of the config's `eventSources:` list: a queue or a
// stream whose messages invoke a function in batches. The keys common to
// both types are here; each type's own keys are in its block, inlined.
type Config struct {
	// Function is the name of the function the batches invoke.
	Function string `yaml:"function"`
	// Type is "sqs" or "redis".
	Type string `yaml:"type"`
	// BatchSize is the most messages in one invocation, 1–10000; zero: 10.
	// Above 10 needs a MaximumBatchingWindow.
	BatchSize int `yaml:"batchSize"`
	// MaximumBatchingWindow is how long to keep gathering messages after
	// the first one before invoking with fewer than BatchSize, 0–300s;
	// zero: invoke with what one receive returned.
	MaximumBatchingWindow time.Duration `yaml:"maximumBatchingWindow"`
	// FunctionResponseTypes is empty or [ReportBatchItemFailures].
	FunctionResponseTypes []string `yaml:"functionResponseTypes"`

	SQS   SQSConfig   `yaml:",inline"`
	Redis RedisConfig `yaml:",inline"`
}

// SQSConfig holds the keys of type sqs.
type SQSConfig struct {
	// QueueURL is the queue's URL, e.g.
	// https://sqs.us-east-1.amazonaws.com/123456789012/orders. Required.
	QueueURL string `yaml:"queueUrl"`
	// Endpoint overrides the SQS endpoint of the AWS SDK (an SQS-compatible
	// server); empty: the SDK's, which honours AWS_ENDPOINT_URL_SQS and
	// AWS_ENDPOINT_URL.
	Endpoint string `yaml:"endpoint"`
	// Region is the queue's region; empty: the AWS SDK's (AWS_REGION, the
	// shared config), else Portico's region.
	Region string `yaml:"region"`
}

// RedisConfig holds the keys of type redis.
type RedisConfig struct {
	// Stream is the key of the Redis stream. Required.
	Stream string `yaml:"stream"`
	// Group is the consumer group, created (with the stream) if missing.
	// Required.
	Group string `yaml:"group"`
	// VisibilityTimeout is how long a delivered entry stays with its
	// consumer before another may claim it, 1s–12h; zero: 30s.
	VisibilityTimeout time.Duration `yaml:"visibilityTimeout"`
	// MaxReceiveCount is how many deliveries an entry gets before it moves
	// to DeadLetterStream; zero: no limit. Needs DeadLetterStream.
	MaxReceiveCount int `yaml:"maxReceiveCount"`
	// DeadLetterStream receives entries delivered MaxReceiveCount times and
	// entries too large to deliver.
	DeadLetterStream string `yaml:"deadLetterStream"`
}

// batchSize is BatchSize with its default.
func (c *Config) batchSize() int {
	if c.BatchSize == 0 {
		return DefaultBatchSize
	}
	return c.BatchSize
}

// VisibilityTimeoutOrDefault is how long a delivered Redis entry stays
// with its consumer: VisibilityTimeout, or its default.
func (c *Config) VisibilityTimeoutOrDefault() time.Duration {
	if c.Redis.VisibilityTimeout == 0 {
		return DefaultVisibilityTimeout
	}
	return c.Redis.VisibilityTimeout
}

// reportsFailures says whether the function answers with batchItemFailures.
func (c *Config) reportsFailures() bool {
	return slices.Contains(c.FunctionResponseTypes, ReportBatchItemFailures)
}

// Name identifies the source in logs and metrics: the queue URL, or
// stream/group.
func (c *Config) Name() string {
	if c.Type == TypeRedis {
		return c.Redis.Stream + "/" + c.Redis.Group
	}
	return c.SQS.QueueURL
}

// key identifies a source across reloads: equal keys keep their pollers.
func (c *Config) key() string {
	var b strings.Builder
	for _, s := range []string{c.Function, c.Type, c.SQS.QueueURL, c.SQS.Endpoint, c.SQS.Region,
		c.Redis.Stream, c.Redis.Group, c.Redis.DeadLetterStream, strings.Join(c.FunctionResponseTypes, ",")} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	for _, n := range []int64{int64(c.batchSize()), int64(c.MaximumBatchingWindow), int64(c.VisibilityTimeoutOrDefault()), int64(c.Redis.MaxReceiveCount)} {
		b.WriteString(time.Duration(n).String())
		b.WriteByte(0)
	}
	return b.String()
}

// Validate reports every problem as *fielderr.Error values. That Function
// names a function of the config, and that a redis source has a `redis:`
// to read from, are the composing config's checks.
func (c *Config) Validate() []error {
	var errs fielderr.List
	if c.Function == "" {
		errs.Add("function", "required")
	}
	errs.NotNegative("batchSize", int64(c.BatchSize))
	if c.BatchSize > MaxBatchSize {
		errs.Add("batchSize", "must be at most %d", MaxBatchSize)
	}
	if c.MaximumBatchingWindow < 0 || c.MaximumBatchingWindow > MaxBatchingWindow {
		errs.Add("maximumBatchingWindow", "must be between 0s and 300s")
	} else if c.MaximumBatchingWindow%time.Second != 0 && c.Type == TypeSQS {
		// SQS long polls wait whole seconds, as Lambda's window is set.
		errs.Add("maximumBatchingWindow", "must be a whole number of seconds")
	}
	if c.batchSize() > MaxUnwindowedBatch && c.MaximumBatchingWindow == 0 {
		errs.Add("batchSize", "above %d needs maximumBatchingWindow", MaxUnwindowedBatch)
	}
	for i, t := range c.FunctionResponseTypes {
		if t != ReportBatchItemFailures {
			errs.Add("functionResponseTypes["+strconv.Itoa(i)+"]", "want %s, got %q", ReportBatchItemFailures, t)
		}
	}
	sqsFields := []fielderr.Field{
		{Name: "queueUrl", Set: c.SQS.QueueURL != ""},
		{Name: "endpoint", Set: c.SQS.Endpoint != ""},
		{Name: "region", Set: c.SQS.Region != ""},
	}
	redisFields := []fielderr.Field{
		{Name: "stream", Set: c.Redis.Stream != ""},
		{Name: "group", Set: c.Redis.Group != ""},
		{Name: "visibilityTimeout", Set: c.Redis.VisibilityTimeout != 0},
		{Name: "maxReceiveCount", Set: c.Redis.MaxReceiveCount != 0},
		{Name: "deadLetterStream", Set: c.Redis.DeadLetterStream != ""},
	}
	switch c.Type {
	case TypeSQS:
		errs = append(errs, fielderr.Unused("type sqs", nil, redisFields)...)
		c.SQS.validate(&errs)
	case TypeRedis:
		errs = append(errs, fielderr.Unused("type redis", nil, sqsFields)...)
		c.Redis.validate(&errs)
	case "":
		errs.Add("type", "required: sqs or redis")
	default:
		errs.Add("type", "want sqs or redis, got %q", c.Type)
	}
	return errs
}

func (c *SQSConfig) validate(errs *fielderr.List) {
	if c.QueueURL == "" {
		errs.Add("queueUrl", "required")
	} else if u, err := url.Parse(c.QueueURL); err != nil || u.Host == "" || queueName(c.QueueURL) == "" {
		errs.Add("queueUrl", "want a queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/orders, got %q", c.QueueURL)
	}
	if c.Endpoint != "" {
		errs.HTTPURL("endpoint", c.Endpoint)
	}
}

func (c *RedisConfig) validate(errs *fielderr.List) {
	if c.Stream == "" {
		errs.Add("stream", "required")
	}
	if c.Group == "" {
		errs.Add("group", "required")
	}
	if c.VisibilityTimeout != 0 && (c.VisibilityTimeout < time.Second || c.VisibilityTimeout > MaxVisibilityTimeout) {
		errs.Add("visibilityTimeout", "must be between 1s and 12h")
	}
	errs.NotNegative("maxReceiveCount", int64(c.MaxReceiveCount))
	if c.MaxReceiveCount > 0 && c.DeadLetterStream == "" {
		errs.Add("maxReceiveCount", "needs deadLetterStream")
	}
	if c.DeadLetterStream != "" && c.DeadLetterStream == c.Stream {
		errs.Add("deadLetterStream", "must differ from stream")
	}
}

// queueName is the last path segment of a queue URL.
func queueName(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// queueAccount is the account segment of a queue URL (/ACCOUNT/NAME), or
// "" when the URL has none.
func queueAccount(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	acct := parts[len(parts)-2]
	for _, r := range acct {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return acct
}

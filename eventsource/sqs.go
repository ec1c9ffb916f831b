package eventsource

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// SQS's limits on one call.
const (
	sqsMaxReceive  = 10
	sqsMaxDelete   = 10
	sqsMaxWaitSecs = 20
)

// sqsFirstAttributes are the system attributes Lambda's records list
// first, in its order; any others the queue returns (AWSTraceHeader,
// MessageGroupId, …) follow in name order.
var sqsFirstAttributes = []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"}

// sqsConsumer polls one SQS queue through the AWS SDK, as Lambda's event
// source mapping does: long polls of at most 10 messages, the queue's own
// visibility timeout, DeleteMessageBatch for the handled ones.
type sqsConsumer struct {
	cfg           *Config
	defaultRegion string
	account       string
	// state is set by open, read by the pollers.
	state atomic.Pointer[sqsState]
}

type sqsState struct {
	client *sqs.Client
	head   recordHead
}

func newSQSConsumer(cfg *Config, region, account string) *sqsConsumer {
	return &sqsConsumer{cfg: cfg, defaultRegion: region, account: account}
}

func (c *sqsConsumer) limits() (int, time.Duration) {
	return sqsMaxReceive, sqsMaxWaitSecs * time.Second
}

// open loads the AWS SDK's config (credentials, region, endpoint from the
// environment and shared files) and asks the queue for its ARN, which
// checks at once that the queue exists and the credentials work.
func (c *sqsConsumer) open(ctx context.Context) error {
	var opts []func(*awsconfig.LoadOptions) error
	if c.cfg.SQS.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.cfg.SQS.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = c.defaultRegion
	}
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if c.cfg.SQS.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.cfg.SQS.Endpoint)
		}
	})
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(c.cfg.SQS.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return err
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		account := queueAccount(c.cfg.SQS.QueueURL)
		if account == "" {
			account = c.account
		}
		arn = "arn:aws:sqs:" + awsCfg.Region + ":" + account + ":" + queueName(c.cfg.SQS.QueueURL)
	}
	c.state.Store(&sqsState{client: client, head: recordHead{eventSource: "aws:sqs", eventSourceARN: arn, awsRegion: awsCfg.Region}})
	return nil
}

func (c *sqsConsumer) receive(ctx context.Context, max int, wait time.Duration) ([]*message, error) {
	st := c.state.Load()
	// Long polls wait whole seconds: round up, so a batching window is
	// never cut short.
	secs := min(sqsMaxWaitSecs, int32((wait+time.Second-1)/time.Second))
	out, err := st.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(c.cfg.SQS.QueueURL),
		MaxNumberOfMessages:         int32(max),
		WaitTimeSeconds:             secs,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, err
	}
	msgs := make([]*message, 0, len(out.Messages))
	for i := range out.Messages {
		msgs = append(msgs, sqsMessage(&st.head, &out.Messages[i]))
	}
	return msgs, nil
}

// sqsMessage turns a received message into its record, as Lambda writes
// it.
func sqsMessage(h *recordHead, m *types.Message) *message {
	f := recordFields{
		messageID:              aws.ToString(m.MessageId),
		receiptHandle:          aws.ToString(m.ReceiptHandle),
		body:                   []byte(aws.ToString(m.Body)),
		md5OfBody:              aws.ToString(m.MD5OfBody),
		md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
	}
	if f.md5OfBody == "" {
		sum := md5.Sum(f.body)
		f.md5OfBody = hex.EncodeToString(sum[:])
	}
	for _, name := range sqsFirstAttributes {
		if v, ok := m.Attributes[name]; ok {
			f.attributes = append(f.attributes, attribute{name, v})
		}
	}
	var rest []string
	for name := range m.Attributes {
		if !slices.Contains(sqsFirstAttributes, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		f.attributes = append(f.attributes, attribute{name, m.Attributes[name]})
	}
	names := make([]string, 0, len(m.MessageAttributes))
	for name := range m.MessageAttributes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v := m.MessageAttributes[name]
		f.messageAttributes = append(f.messageAttributes, messageAttribute{
			name:             name,
			stringValue:      v.StringValue,
			binaryValue:      v.BinaryValue,
			stringListValues: v.StringListValues,
			binaryListValues: v.BinaryListValues,
			dataType:         aws.ToString(v.DataType),
		})
	}
	count, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	return &message{id: f.messageID, handle: f.receiptHandle, count: count, record: appendRecord(nil, h, &f)}
}

// remove deletes the messages in calls of at most 10; messages the queue
// fails to delete are reported and come back after their visibility
// timeout.
func (c *sqsConsumer) remove(ctx context.Context, msgs []*message) error {
	st := c.state.Load()
	var errs []error
	for chunk := range slices.Chunk(msgs, sqsMaxDelete) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.handle)}
		}
		out, err := st.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.cfg.SQS.QueueURL), Entries: entries})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("delete %s: %s: %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}

// tooLarge leaves the message on the queue: its visibility timeout brings
// it back until the queue's redrive policy moves it to the dead-letter
// queue, which is where SQS keeps what cannot be handled.
func (c *sqsConsumer) tooLarge(context.Context, *message) (bool, error) { return false, nil }

func (c *sqsConsumer) lag(ctx context.Context) (int64, error) {
	st := c.state.Load()
	out, err := st.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(c.cfg.SQS.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)], 10, 64)
}

// gone reports the errors of a queue that does not exist (SQS's codes,
// and the one SQS-compatible servers such as goaws use).
func (c *sqsConsumer) gone(err error) bool {
	var qe *types.QueueDoesNotExist
	if errors.As(err, &qe) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "QueueNotFound":
			return true
		}
	}
	return false
}

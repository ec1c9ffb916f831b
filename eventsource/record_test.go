package eventsource

import (
	"encoding/base64"
	"os"
	"reflect"
	"testing"

	"github.com/goccy/go-json"
)

// TestRecordMatchesLambdaExample encodes the message of aws-lambda-go's
// example SQS event (testdata/sqs-event.json, copied from
// events/testdata) and compares the result with it as JSON.
func TestRecordMatchesLambdaExample(t *testing.T) {
	want, err := os.ReadFile("testdata/sqs-event.json")
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	b64 := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	h := recordHead{eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-west-2:123456789012:SQSQueue", awsRegion: "us-west-2"}
	f := recordFields{
		messageID:              "MessageID_1",
		receiptHandle:          "MessageReceiptHandle",
		body:                   []byte("Message Body"),
		md5OfBody:              "fce0ea8dd236ccb3ed9b37dae260836f",
		md5OfMessageAttributes: "582c92c5c5b6ac403040a4f3ab3115c9",
		attributes: []attribute{
			{"ApproximateReceiveCount", "2"},
			{"SentTimestamp", "1520621625029"},
			{"SenderId", "AROAIWPX5BD2BHG722MW4:sender"},
			{"ApproximateFirstReceiveTimestamp", "1520621634884"},
		},
		messageAttributes: []messageAttribute{
			{name: "Attribute3", binaryValue: b64("MTEwMA=="), stringListValues: []string{"abc", "123"},
				binaryListValues: [][]byte{b64("MA=="), b64("MQ=="), b64("MA==")}, dataType: "Binary"},
			{name: "Attribute2", stringValue: str("123"), binaryListValues: [][]byte{b64("MQ=="), b64("MA==")}, dataType: "Number"},
			{name: "Attribute1", stringValue: str("AttributeValue1"), dataType: "String"},
		},
	}
	got := appendEvent(nil, []*message{{record: appendRecord(nil, &h, &f)}})
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("event does not decode: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := eventSize([]*message{{record: appendRecord(nil, &h, &f)}}); n != len(got) {
		t.Errorf("eventSize = %d, want %d", n, len(got))
	}
}

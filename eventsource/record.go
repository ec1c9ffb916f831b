package eventsource

import (
	"encoding/base64"
	"strconv"

	"github.com/portico/portico/internal/jsonbytes"
)

// message is one message received and not yet settled: its identifier
// for batchItemFailures, what deletes or acknowledges it, and its record
// of the event, encoded once when it arrives.
type message struct {
	// id is the record's messageId, which batchItemFailures name.
	id string
	// handle deletes the message: the SQS receipt handle, or the stream
	// entry id.
	handle string
	// count is how many times the message has been delivered, this time
	// included.
	count int
	// record is the JSON object of the message in the event's Records.
	record []byte
}

// attribute is one entry of a record's attributes (SQS system
// attributes): both are strings.
type attribute struct{ name, value string }

// messageAttribute is one entry of a record's messageAttributes, in the
// shape Lambda gives them: stringValue and binaryValue only when set, the
// two lists always (empty when unset), and dataType.
type messageAttribute struct {
	name             string
	stringValue      *string
	binaryValue      []byte
	stringListValues []string
	binaryListValues [][]byte
	dataType         string
}

// recordHead holds what every record of one source shares.
type recordHead struct {
	eventSource    string
	eventSourceARN string
	awsRegion      string
}

// recordFields are the fields of one record that vary by message.
type recordFields struct {
	messageID              string
	receiptHandle          string
	body                   []byte
	md5OfBody              string
	md5OfMessageAttributes string
	attributes             []attribute
	messageAttributes      []messageAttribute
}

// appendRecord appends the record of one message, in the key order of
// Lambda's events, to dst.
func appendRecord(dst []byte, h *recordHead, f *recordFields) []byte {
	dst = append(dst, `{"messageId":`...)
	dst = jsonbytes.AppendString(dst, f.messageID)
	dst = append(dst, `,"receiptHandle":`...)
	dst = jsonbytes.AppendString(dst, f.receiptHandle)
	dst = append(dst, `,"body":`...)
	dst = jsonbytes.AppendString(dst, f.body)
	dst = append(dst, `,"attributes":{`...)
	for i, a := range f.attributes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonbytes.AppendString(dst, a.name)
		dst = append(dst, ':')
		dst = jsonbytes.AppendString(dst, a.value)
	}
	dst = append(dst, `},"messageAttributes":{`...)
	for i, a := range f.messageAttributes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendMessageAttribute(dst, &a)
	}
	dst = append(dst, `},"md5OfBody":`...)
	dst = jsonbytes.AppendString(dst, f.md5OfBody)
	if f.md5OfMessageAttributes != "" {
		dst = append(dst, `,"md5OfMessageAttributes":`...)
		dst = jsonbytes.AppendString(dst, f.md5OfMessageAttributes)
	}
	dst = append(dst, `,"eventSource":`...)
	dst = jsonbytes.AppendString(dst, h.eventSource)
	dst = append(dst, `,"eventSourceARN":`...)
	dst = jsonbytes.AppendString(dst, h.eventSourceARN)
	dst = append(dst, `,"awsRegion":`...)
	dst = jsonbytes.AppendString(dst, h.awsRegion)
	return append(dst, '}')
}

func appendMessageAttribute(dst []byte, a *messageAttribute) []byte {
	dst = jsonbytes.AppendString(dst, a.name)
	dst = append(dst, ":{"...)
	if a.stringValue != nil {
		dst = append(dst, `"stringValue":`...)
		dst = jsonbytes.AppendString(dst, *a.stringValue)
		dst = append(dst, ',')
	}
	if a.binaryValue != nil {
		dst = append(dst, `"binaryValue":`...)
		dst = appendBase64(dst, a.binaryValue)
		dst = append(dst, ',')
	}
	dst = append(dst, `"stringListValues":[`...)
	for i, s := range a.stringListValues {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonbytes.AppendString(dst, s)
	}
	dst = append(dst, `],"binaryListValues":[`...)
	for i, b := range a.binaryListValues {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendBase64(dst, b)
	}
	dst = append(dst, `],"dataType":`...)
	dst = jsonbytes.AppendString(dst, a.dataType)
	return append(dst, '}')
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// eventOverhead is the size of an event around its records:
// {"Records":[...]} and no commas.
const eventOverhead = len(`{"Records":[]}`)

// appendEvent appends the event of a batch, {"Records":[...]}, to dst.
func appendEvent(dst []byte, batch []*message) []byte {
	dst = append(dst, `{"Records":[`...)
	for i, m := range batch {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, m.record...)
	}
	return append(dst, "]}"...)
}

// eventSize is the size appendEvent gives the batch.
func eventSize(batch []*message) int {
	n := eventOverhead
	for i, m := range batch {
		if i > 0 {
			n++
		}
		n += len(m.record)
	}
	return n
}

// formatMillis formats a Unix time in milliseconds as SQS's timestamp
// attributes spell it.
func formatMillis(ms int64) string { return strconv.FormatInt(ms, 10) }

package schedule

import (
	"time"

	"github.com/portico/portico/internal/jsonbytes"
)

// RuleARN is the ARN of the EventBridge rule a schedule stands for, the
// event's only resource: arn:aws:events:REGION:ACCOUNT:rule/NAME.
func RuleARN(region, account, name string) string {
	return "arn:aws:events:" + region + ":" + account + ":rule/" + name
}

// AppendEvent appends the "Scheduled Event" EventBridge sends a rule's
// target at a tick, with the fields in the order of AWS's example:
//
//	{"version":"0","id":ID,"detail-type":"Scheduled Event","source":"aws.events",
//	 "account":ACCOUNT,"time":"2015-10-08T16:53:06Z","region":REGION,
//	 "resources":[RULE_ARN],"detail":{}}
//
// time is the tick in UTC to the second, as EventBridge gives the
// scheduled time.
func AppendEvent(dst []byte, id string, tick time.Time, account, region, ruleARN string) []byte {
	dst = append(dst, `{"version":"0","id":`...)
	dst = jsonbytes.AppendString(dst, id)
	dst = append(dst, `,"detail-type":"Scheduled Event","source":"aws.events","account":`...)
	dst = jsonbytes.AppendString(dst, account)
	dst = append(dst, `,"time":"`...)
	dst = tick.UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
	dst = append(dst, `","region":`...)
	dst = jsonbytes.AppendString(dst, region)
	dst = append(dst, `,"resources":[`...)
	dst = jsonbytes.AppendString(dst, ruleARN)
	return append(dst, `],"detail":{}}`...)
}

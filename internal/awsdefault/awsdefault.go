// Package awsdefault is the one source of the AWS account and region that
// Portico puts into ARNs, request contexts and a function's environment when
// the config names none, so every ARN of one process agrees.
package awsdefault

import "os"

// AccountID is the account of every ARN and requestContext.accountId when
// the config sets no accountId: the placeholder account AWS's own examples
// use.
const AccountID = "123456789012"

// fallbackRegion is the region when neither the config nor the environment
// names one (the AWS CLI's and SAM's default).
const fallbackRegion = "us-east-1"

// Region is the region of ARNs and of a local function's AWS_REGION when the
// config names none: $AWS_REGION, else $AWS_DEFAULT_REGION (the variables
// the AWS SDKs read, in their order), else us-east-1.
func Region() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return fallbackRegion
}

// FunctionARN is the unqualified ARN of the function name, as Lambda
// spells it.
func FunctionARN(region, accountID, name string) string {
	return "arn:aws:lambda:" + region + ":" + accountID + ":function:" + name
}

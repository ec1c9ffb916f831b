package importer

import (
	"cmp"
	"errors"
	"slices"
)

// noteList collects the notes of one import, once each.
type noteList struct {
	file string
	list []Note
	seen map[Note]bool
}

func (l *noteList) add(line int, key, reason string) {
	l.addNote(Note{File: l.file, Line: line, Key: key, Reason: reason})
}

// addNote adds n, which may be of another file (a DefinitionUri).
func (l *noteList) addNote(n Note) {
	if l.seen == nil {
		l.seen = map[Note]bool{}
	}
	if !l.seen[n] {
		l.seen[n] = true
		l.list = append(l.list, n)
	}
}

// addErr notes err at line; an unresolved intrinsic's message already
// names its path.
func (l *noteList) addErr(line int, key string, err error) {
	var u *unresolvedError
	if errors.As(err, &u) {
		l.add(line, key, "not imported: "+u.msg)
		return
	}
	l.add(line, key, "not imported: "+err.Error())
}

// sorted is the notes in file order.
func (l *noteList) sorted() []Note {
	out := slices.Clone(l.list)
	slices.SortStableFunc(out, func(a, b Note) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// Why a key is not carried over, for the keys templates use most; any
// other unknown key is "unsupported".
const (
	reasonIAM     = "needs AWS: IAM is not enforced locally (the function gets only the credentials it inherits: inheritEnv)"
	reasonNetwork = "ignored locally: the function runs on this machine's network"
	reasonTrace   = "ignored locally: no X-Ray tracing"
	reasonDeploy  = "ignored locally: a deployment setting"
	reasonLogs    = "ignored locally: logs go to Portico's output"
)

var functionKeyReasons = map[string]string{
	"Policies":                     reasonIAM,
	"Role":                         reasonIAM,
	"PermissionsBoundary":          reasonIAM,
	"AssumeRolePolicyDocument":     reasonIAM,
	"RolePath":                     reasonIAM,
	"VpcConfig":                    reasonNetwork,
	"Tracing":                      reasonTrace,
	"TracingConfig":                reasonTrace,
	"Layers":                       "unsupported: layers are not mounted locally; put their code in the package",
	"DeadLetterQueue":              "needs AWS: no dead-letter queue locally (Portico's async onFailure destination is the local counterpart)",
	"DeadLetterConfig":             "needs AWS: no dead-letter queue locally (Portico's async onFailure destination is the local counterpart)",
	"Architectures":                "ignored locally: the function runs on this machine's architecture",
	"AutoPublishAlias":             reasonDeploy,
	"AutoPublishCodeSha256":        reasonDeploy,
	"DeploymentPreference":         reasonDeploy,
	"VersionDescription":           reasonDeploy,
	"ProvisionedConcurrencyConfig": "ignored locally: set minInstances to keep instances warm",
	"Tags":                         reasonDeploy,
	"PropagateTags":                reasonDeploy,
	"KmsKeyArn":                    "needs AWS: environment encryption",
	"CodeSigningConfigArn":         reasonDeploy,
	"LoggingConfig":                reasonLogs,
	"EphemeralStorage":             "ignored locally: /tmp is this machine's",
	"FileSystemConfigs":            "needs AWS: EFS is not mounted locally",
	"SnapStart":                    "ignored locally: no SnapStart",
	"RuntimeManagementConfig":      reasonDeploy,
	"FunctionUrlConfig":            "unsupported: function URLs are not served; add a route",
	"EventInvokeConfig":            "unsupported: set the function's async: block for retries and destinations",
	"RecursiveLoop":                reasonDeploy,
	"CapacityProviderConfig":       "needs AWS: capacity providers run only on AWS",
}

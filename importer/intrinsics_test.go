package importer

import (
	"go.yaml.in/yaml/v3"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	const head = `
Parameters:
  Env: {Type: String, Default: dev}
  Names: {Type: CommaDelimitedList, Default: "a,b, c"}
Mappings:
  Sizes: {dev: {Memory: 256}, prod: {Memory: 1024}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [x, x]]
  Either: {"Fn::Or": [{Condition: IsProd}, {"Fn::Equals": [1, "1"]}]}
Resources:
  Fn:
    Type: AWS::Serverless::Function
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: jobs}
  Table:
    Type: AWS::DynamoDB::Table
  Fn2:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          V: `
	tests := []struct {
		name, expr, want string
		params           map[string]string
	}{
		{"ref parameter", "!Ref Env", "dev", nil},
		{"ref override", "!Ref Env", "prod", map[string]string{"Env": "prod"}},
		{"ref pseudo", "!Ref AWS::Region", "us-east-1", nil},
		{"pseudo override", "!Ref AWS::Region", "eu-west-1", map[string]string{"AWS::Region": "eu-west-1"}},
		{"ref function", "!Ref Fn", "Fn", nil},
		{"ref queue is its URL", "!Ref Queue", "https://sqs.us-east-1.amazonaws.com/123456789012/jobs", nil},
		{"ref other resource", "!Ref Table", "Table", nil},
		{"sub", `!Sub "${AWS::StackName}-${Env}-${!Literal}"`, "local-dev-${Literal}", nil},
		{"sub getatt", `!Sub "${Fn.Arn}"`, "arn:aws:lambda:us-east-1:123456789012:function:Fn", nil},
		{"sub variables", `!Sub ["${A}/${Env}", {A: !Ref AWS::AccountId}]`, "123456789012/dev", nil},
		{"getatt short", "!GetAtt Fn.Arn", "arn:aws:lambda:us-east-1:123456789012:function:Fn", nil},
		{"getatt long", `{"Fn::GetAtt": [Queue, Arn]}`, "arn:aws:sqs:us-east-1:123456789012:jobs", nil},
		{"join", `!Join ["-", [a, !Ref Env, b]]`, "a-dev-b", nil},
		{"join list parameter", `!Join [",", !Ref Names]`, "a,b,c", nil},
		{"if false", "!If [IsProd, big, small]", "small", nil},
		{"if true", "!If [IsProd, big, small]", "big", map[string]string{"Env": "prod"}},
		{"if not", "!If [NotProd, yes, no]", "yes", nil},
		{"if and", "!If [Both, yes, no]", "yes", nil},
		{"if or", "!If [Either, yes, no]", "yes", nil},
		{"select split", `!Select [1, !Split [",", "x,y,z"]]`, "y", nil},
		{"findinmap", "!FindInMap [Sizes, !Ref Env, Memory]", "256", nil},
		{"base64", "!Base64 hi", "aGk=", nil},
		{"select azs", "!Select [0, !GetAZs '']", "us-east-1a", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(head + tt.expr + "\n")
			root, err := parseTemplate(data)
			if err != nil {
				t.Fatal(err)
			}
			s := &samImport{file: "t.yaml", root: root, notes: &noteList{file: "t.yaml"}, app: &App{}, fnByARN: map[string]string{}}
			s.ev = &evaluator{params: map[string]*yaml.Node{}, conditions: get(root, "Conditions"), condValues: map[string]bool{},
				condBusy: map[string]bool{}, mappings: get(root, "Mappings"), resources: map[string]*resource{}, notes: s.notes}
			s.readParameters(tt.params)
			s.readResources()
			n := get(get(get(get(get(get(root, "Resources"), "Fn2"), "Properties"), "Environment"), "Variables"), "V")
			got, err := s.ev.evalString(n, "V")
			if err != nil {
				t.Fatalf("%s: %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("%s: got %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestIntrinsicsUnresolved(t *testing.T) {
	for _, expr := range []string{"!Ref Nope", "!ImportValue other-stack", "!If [NoSuch, a, b]", "!Select [5, [a]]", "!GetAtt Nope.Arn"} {
		data := []byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: !Ref X\n      CodeUri: .\n      Environment: {Variables: {V: " + expr + "}}\n")
		_, notes, err := ImportSAM("t.yaml", data, nil)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if !hasNote(notes, "Resources.F.Properties.Environment", "not imported") {
			t.Errorf("%s: no note, got %v", expr, notes)
		}
	}
}

func TestParameterOverrides(t *testing.T) {
	data := []byte("Parameters:\n  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}\nResources: {}\n")
	_, notes, err := ImportSAM("t.yaml", data, map[string]string{"Env": "qa", "Nope": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(notes, "Parameters.Env", "AllowedValues") || !hasNote(notes, "Parameters.Nope", "does not declare") {
		t.Errorf("notes: %v", notes)
	}
}

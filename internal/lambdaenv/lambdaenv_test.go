package lambdaenv

import "testing"

func TestReserved(t *testing.T) {
	for k, want := range map[string]bool{
		"AWS_REGION": true, "_HANDLER": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_ANYTHING": true,
		"GREETING": false, "AWS_PROFILE": false, "LAMBDA_TASK_ROOTS": false,
	} {
		if got := Reserved(k); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", k, got, want)
		}
	}
}

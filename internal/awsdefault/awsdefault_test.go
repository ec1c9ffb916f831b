package awsdefault

import "testing"

func TestRegion(t *testing.T) {
	for _, tc := range []struct {
		name, region, defaultRegion, want string
	}{
		{"neither", "", "", "us-east-1"},
		{"AWS_REGION", "eu-west-3", "", "eu-west-3"},
		{"AWS_DEFAULT_REGION", "", "ap-south-1", "ap-south-1"},
		{"AWS_REGION wins", "eu-west-3", "ap-south-1", "eu-west-3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.region)
			t.Setenv("AWS_DEFAULT_REGION", tc.defaultRegion)
			if got := Region(); got != tc.want {
				t.Errorf("Region() = %q, want %q", got, tc.want)
			}
		})
	}
}

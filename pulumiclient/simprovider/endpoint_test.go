package simprovider

import (
	"strings"
	"testing"
)

func TestEndpointRefusesAllButTheSimulator(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "none", wantErr: "no RDS endpoint override"},
		{name: "rds specific", env: map[string]string{"AWS_ENDPOINT_URL_RDS": "http://127.0.0.1:4566"}, want: "http://127.0.0.1:4566"},
		{name: "generic", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, want: "http://127.0.0.1:9"},
		{name: "rds wins", env: map[string]string{"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_RDS": "http://b:2"}, want: "http://b:2"},
		{name: "not a url", env: map[string]string{"AWS_ENDPOINT_URL_RDS": "127.0.0.1:4566"}, wantErr: "not an http(s) URL"},
		{name: "real aws", env: map[string]string{"AWS_ENDPOINT_URL_RDS": "https://rds.eu-west-2.amazonaws.com"}, wantErr: "real AWS endpoint"},
		{name: "real aws, upper case", env: map[string]string{"AWS_ENDPOINT_URL": "https://RDS.EU-WEST-2.AMAZONAWS.COM"}, wantErr: "real AWS endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Endpoint(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSettingsRetryLikeTheRealProvider(t *testing.T) {
	env := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
	s, err := settingsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.maxAttempts != 25 {
		t.Errorf("max attempts = %d, want the AWS provider's default 25", s.maxAttempts)
	}
	if got := NewRetryer(s.maxAttempts).MaxAttempts(); got != 25 {
		t.Errorf("retryer max attempts = %d, want 25", got)
	}
	if s.key == "" || s.secret == "" {
		t.Error("no dummy credentials without AWS keys in the environment")
	}
	env["AWS_MAX_ATTEMPTS"] = "4"
	if s, _ = settingsFromEnv(func(k string) string { return env[k] }); s.maxAttempts != 4 {
		t.Errorf("AWS_MAX_ATTEMPTS=4 gave %d attempts", s.maxAttempts)
	}
}

func TestEngineAddressSkipsThePluginFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"127.0.0.1:4000"}, "127.0.0.1:4000"},
		{[]string{"--logtostderr", "-v=9", "--logflow", "127.0.0.1:4000"}, "127.0.0.1:4000"},
		{[]string{"--tracing", "http://zipkin:9411", "127.0.0.1:4000"}, "127.0.0.1:4000"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := engineAddress(tt.args); got != tt.want {
			t.Errorf("engineAddress(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

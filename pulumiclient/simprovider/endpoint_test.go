package simprovider

import (
	"context"
	"os"
	"path/filepath"
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
	if c, err := s.credentials("").Retrieve(context.Background()); err != nil || c.AccessKeyID != dummyKey {
		t.Errorf("credentials without AWS keys in the environment = %+v, %v; want the dummies", c, err)
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

// TestCredentialsLikeTheRealProvider: the provider signs with the keys the
// real AWS provider would use (hashicorp/aws-sdk-go-base v2): the stack's
// aws:profile beats exported keys; without one, exported keys beat
// AWS_PROFILE; a profile it cannot read gives the dummy keys. (Before, it
// always took the exported keys, so Pulumi's identity could not be checked
// end to end.)
func TestCredentialsLikeTheRealProvider(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[staging]\naws_access_key_id = AKIDSTAGINGPROFILE\naws_secret_access_key = s1\n\n[docker-user]\naws_access_key_id = AKIDDOCKERPROFILE\naws_secret_access_key = s2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		env          map[string]string
		stackProfile string
		want         string
	}{
		{"exported keys", map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXPORTED", "AWS_SECRET_ACCESS_KEY": "x"}, "", "AKIDEXPORTED"},
		{"exported keys beat AWS_PROFILE", map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXPORTED", "AWS_SECRET_ACCESS_KEY": "x", "AWS_PROFILE": "docker-user"}, "", "AKIDEXPORTED"},
		{"AWS_PROFILE without keys", map[string]string{"AWS_PROFILE": "docker-user"}, "", "AKIDDOCKERPROFILE"},
		{"the stack's aws:profile beats exported keys", map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXPORTED", "AWS_SECRET_ACCESS_KEY": "x"}, "staging", "AKIDSTAGINGPROFILE"},
		{"the stack's aws:profile beats AWS_PROFILE", map[string]string{"AWS_PROFILE": "docker-user"}, "staging", "AKIDSTAGINGPROFILE"},
		{"a profile that is not there", map[string]string{"AWS_PROFILE": "nobody"}, "", dummyKey},
		{"nothing", nil, "", dummyKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": filepath.Join(dir, "config")}
			for k, v := range tt.env {
				env[k] = v
			}
			s, err := settingsFromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.credentials(tt.stackProfile).Retrieve(context.Background())
			if err != nil || c.AccessKeyID != tt.want {
				t.Errorf("signs with %q (%v), want %q", c.AccessKeyID, err, tt.want)
			}
		})
	}
}

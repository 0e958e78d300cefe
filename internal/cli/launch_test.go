package cli

import (
	"maps"
	"testing"

	"github.com/datalayer-tool/datalayer/internal/config"
)

// TestPulumiAWSEnv: what datalayer's own AWS client was told by flags or
// the config file reaches the pulumi CLI it starts, so Pulumi acts as the
// identity datalayer shows, in the same region, on the same endpoint.
// (Before, --profile and --region stopped at datalayer's client.)
func TestPulumiAWSEnv(t *testing.T) {
	tests := []struct {
		name string
		l    config.Loaded
		want map[string]string
	}{
		{
			name: "nothing given: the environment reaches the CLI as it is, with the region in use",
			l:    config.Loaded{Config: config.Config{Region: "eu-west-2"}, Sources: map[string]string{"region": "$AWS_REGION"}},
			want: map[string]string{"AWS_REGION": "eu-west-2", "AWS_DEFAULT_REGION": "eu-west-2"},
		},
		{
			name: "--profile beats exported keys for Pulumi too",
			l:    config.Loaded{Config: config.Config{Region: "eu-west-1", Profile: "planx-staging-pulumi"}, Sources: map[string]string{"region": "--region", "profile": "--profile"}},
			want: map[string]string{
				"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
				"AWS_PROFILE": "planx-staging-pulumi", "AWS_DEFAULT_PROFILE": "planx-staging-pulumi",
				"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
			},
		},
		{
			name: "--endpoint reaches RDS and STS of the provider",
			l:    config.Loaded{Config: config.Config{Region: "eu-west-2", Endpoint: "http://127.0.0.1:4566"}, Sources: map[string]string{"endpoint": "--endpoint"}},
			want: map[string]string{"AWS_REGION": "eu-west-2", "AWS_DEFAULT_REGION": "eu-west-2",
				"AWS_ENDPOINT_URL_RDS": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566"},
		},
		{
			name: "an endpoint from the environment is already the CLI's",
			l:    config.Loaded{Config: config.Config{Region: "eu-west-2", Endpoint: "http://127.0.0.1:4566"}, Sources: map[string]string{"endpoint": "$AWS_ENDPOINT_URL"}},
			want: map[string]string{"AWS_REGION": "eu-west-2", "AWS_DEFAULT_REGION": "eu-west-2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pulumiAWSEnv(tt.l); !maps.Equal(got, tt.want) {
				t.Errorf("pulumiAWSEnv = %v\nwant %v", got, tt.want)
			}
		})
	}
}

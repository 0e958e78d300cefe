package runbooks

import "testing"

// TestEndpointInstance: only an instance's RDS endpoint names an instance
// to ask AWS about; a new application's placeholder, another host name, or
// a proxy's or cluster's endpoint names none.
func TestEndpointInstance(t *testing.T) {
	for _, tt := range []struct{ host, want string }{
		{"app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com", "app5ec7032"},
		{"App5ec7032.C9AKCIQ32X1Z.eu-west-2.rds.amazonaws.com.", "app5ec7032"},
		{"app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com:5432", "app5ec7032"},
		{"app5ec7032.c9akciq32x1z.cn-north-1.rds.amazonaws.com.cn", "app5ec7032"},
		{"", ""},
		{"TBD_after_deploy", ""},
		{"localhost", ""},
		{"127.0.0.1:5432", ""},
		{"changeme", ""},
		{"db.internal.example.com", ""},
		{"app.proxy-c9akciq32x1z.eu-west-2.rds.amazonaws.com", ""},
		{"app.cluster-c9akciq32x1z.eu-west-2.rds.amazonaws.com", ""},
		{"rds.amazonaws.com", ""},
	} {
		if got := endpointInstance(tt.host); got != tt.want {
			t.Errorf("endpointInstance(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

package pulumiclient

import (
	"errors"
	"testing"
)

// The CLI's error for an operation the provider's credentials failed is
// "exit status 1"; the AWS code is in the provider's diagnostics. Which
// texts mark it, and that the error's own text is kept.
func TestMarkCredentials(t *testing.T) {
	tests := []struct {
		name, text, code string
	}{
		{"expired token code", "error: read instance app: operation error RDS: DescribeDBInstances, https response error StatusCode: 403, api error ExpiredToken: The security token included in the request is expired", "ExpiredToken"},
		{"expired token words", "The security token included in the request is expired", "ExpiredToken"},
		{"unknown key", "api error InvalidClientTokenId: The security token included in the request is invalid.", "InvalidClientTokenId"},
		{"no credentials", "error: configuring Terraform AWS Provider: no valid credential sources for Terraform AWS Provider found.", "no valid credential sources"},
		{"another failure", "api error DBSnapshotAlreadyExists: Cannot create the snapshot because one with the identifier final-before-deletion already exists.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := errors.New("pulumi refresh: failed to refresh stack: exit status 1")
			err := markCredentials(base, tt.text)
			var ce *CredentialsError
			if got := errors.As(err, &ce); got != (tt.code != "") {
				t.Fatalf("marked = %v, want %v (%v)", got, tt.code != "", err)
			}
			if tt.code != "" && (ce.Code != tt.code || !errors.Is(err, ErrAWSCredentials) || err.Error() != base.Error()) {
				t.Errorf("marked %q: code %q, is %v", err, ce.Code, errors.Is(err, ErrAWSCredentials))
			}
		})
	}
	if markCredentials(nil, "ExpiredToken") != nil {
		t.Error("a nil error was marked")
	}
}

// A network failure between the provider and AWS is marked (an AWS SDK
// call's error, not a plugin the CLI cannot dial); a refusal of the
// credentials says more and wins.
func TestMarkUnreachable(t *testing.T) {
	tests := []struct {
		name, text, sign string
	}{
		{"retries used up", "error: read instance app: operation error RDS: DescribeDBInstances, exceeded maximum number of attempts, 25, https response error StatusCode: 0, RequestID: , request send failed, Post \"http://127.0.0.1:4566/\": EOF", "exceeded maximum number of attempts"},
		{"refused", "operation error RDS: DescribeDBInstances, https response error StatusCode: 0, RequestID: , request send failed, Post \"http://127.0.0.1:1/\": dial tcp 127.0.0.1:1: connect: connection refused", "connection refused"},
		{"a plugin, not AWS", "error: could not read plugin: transport: Error while dialing: dial tcp 127.0.0.1:40123: connect: connection refused", ""},
		{"credentials win", "operation error RDS: DescribeDBInstances, api error ExpiredToken: The security token included in the request is expired: EOF", ""},
		// AWS answered, with throttling: not a network failure (TestMarkThrottled).
		{"throttled, retries used up", "operation error RDS: DescribeDBInstances, exceeded maximum number of attempts, 25, https response error StatusCode: 400, RequestID: 1f0c, api error Throttling: Rate exceeded", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := errors.New("pulumi up: failed to run update: exit status 1")
			err := markAWS(base, tt.text)
			var ue *UnreachableError
			if got := errors.As(err, &ue); got != (tt.sign != "") {
				t.Fatalf("marked unreachable = %v, want %v (%v)", got, tt.sign != "", err)
			}
			if tt.sign != "" && (ue.Sign != tt.sign || !errors.Is(err, ErrAWSUnreachable) || err.Error() != base.Error()) {
				t.Errorf("marked %q: sign %q", err, ue.Sign)
			}
		})
	}
}

// Retries used up on throttling answers are AWS's throttling, not a
// network failure: the advice differs (slow down, not check the VPN).
func TestMarkThrottled(t *testing.T) {
	tests := []struct {
		name, text, code string
	}{
		{"Throttling", "error: read instance app: operation error RDS: DescribeDBInstances, exceeded maximum number of attempts, 25, https response error StatusCode: 400, RequestID: 1f0c, api error Throttling: Rate exceeded", "Throttling"},
		{"ThrottlingException", "operation error RDS: ModifyDBInstance, exceeded maximum number of attempts, 25, https response error StatusCode: 400, RequestID: 9a, api error ThrottlingException: Rate exceeded", "ThrottlingException"},
		{"RequestLimitExceeded", "operation error RDS: DescribeDBSnapshots, exceeded maximum number of attempts, 25, https response error StatusCode: 503, RequestID: 2b, api error RequestLimitExceeded: Request limit exceeded.", "RequestLimitExceeded"},
		{"the network", "operation error RDS: DescribeDBInstances, exceeded maximum number of attempts, 25, https response error StatusCode: 0, RequestID: , request send failed, Post \"http://127.0.0.1:4566/\": EOF", ""},
		{"not an SDK call", "api error Throttling: Rate exceeded", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := errors.New("pulumi up: failed to run update: exit status 1")
			err := markAWS(base, tt.text)
			var te *ThrottledError
			if got := errors.As(err, &te); got != (tt.code != "") {
				t.Fatalf("marked throttled = %v, want %v (%v)", got, tt.code != "", err)
			}
			if tt.code != "" && (te.Code != tt.code || !errors.Is(err, ErrAWSThrottled) || errors.Is(err, ErrAWSUnreachable) || err.Error() != base.Error()) {
				t.Errorf("marked %q: code %q", err, te.Code)
			}
		})
	}
}

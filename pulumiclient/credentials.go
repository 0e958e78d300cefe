package pulumiclient

import (
	"errors"
	"strings"
)

// ErrAWSCredentials is in the chain of an operation's error when AWS
// refused the AWS provider's credentials (expired, or not recognised):
// nothing about the stack is wrong, and the same operation goes through
// once the credentials are refreshed.
var ErrAWSCredentials = errors.New("AWS refused the credentials Pulumi's AWS provider used")

// credentialCodes are AWS's error codes for credentials it refuses, and
// the SDK's words for having none, as they appear in the provider's
// diagnostics (the CLI itself exits with "exit status 1").
var credentialCodes = []string{
	"ExpiredTokenException", "ExpiredToken", "RequestExpired", "InvalidClientTokenId",
	"UnrecognizedClientException", "SignatureDoesNotMatch", "security token included in the request is expired",
	"no valid credential sources", "failed to refresh cached credentials",
}

// CredentialsError is an operation's error that AWS's refusal of the
// credentials explains; Code is the AWS code or words found.
type CredentialsError struct {
	Code string
	Err  error
}

func (e *CredentialsError) Error() string { return e.Err.Error() }

func (e *CredentialsError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrAWSCredentials) hold.
func (e *CredentialsError) Is(target error) bool { return target == ErrAWSCredentials }

// credentialsCode returns the first credentials code text holds, or "".
func credentialsCode(text string) string {
	for _, c := range credentialCodes {
		if strings.Contains(text, c) {
			if c == "security token included in the request is expired" {
				return "ExpiredToken"
			}
			return c
		}
	}
	return ""
}

// markCredentials returns err marked as a CredentialsError when text (the
// CLI's whole output and the provider's error diagnostics, or the AWS
// error itself) shows AWS refused the credentials; else err.
func markCredentials(err error, text string) error {
	if err == nil || errors.Is(err, ErrAWSCredentials) {
		return err
	}
	if code := credentialsCode(text); code != "" {
		return &CredentialsError{Code: code, Err: err}
	}
	return err
}

// ErrAWSUnreachable is in the chain of an operation's error when the AWS
// provider could not reach AWS (connections refused, dropped or timed
// out, its retries used up): nothing about the stack is wrong, and the
// operation can be run again once the network is back.
var ErrAWSUnreachable = errors.New("the AWS provider of Pulumi could not reach AWS")

// unreachableSigns are the words of a network failure in the provider's
// diagnostics and the SDK's errors.
var unreachableSigns = []string{
	"connection refused", "connection reset by peer", "no such host", "i/o timeout", "dial tcp",
	"exceeded maximum number of attempts", "unexpected EOF", ": EOF",
}

// UnreachableError is an operation's error that a network failure between
// the AWS provider and AWS explains; Sign is the words found.
type UnreachableError struct {
	Sign string
	Err  error
}

func (e *UnreachableError) Error() string { return e.Err.Error() }

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrAWSUnreachable) hold.
func (e *UnreachableError) Is(target error) bool { return target == ErrAWSUnreachable }

// ErrAWSThrottled is in the chain of an operation's error when AWS kept
// throttling the AWS provider's calls until its retries were used up:
// AWS was reached and nothing about the stack is wrong, and the operation
// can be run again once the account's RDS calls slow down.
var ErrAWSThrottled = errors.New("AWS throttled the calls of Pulumi's AWS provider")

// throttledCodes are AWS's throttling error codes, as the SDK's errors
// show them ("api error Throttling: Rate exceeded").
var throttledCodes = []string{"ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled"}

// ThrottledError is an operation's error that AWS's throttling explains;
// Code is the AWS error code found.
type ThrottledError struct {
	Code string
	Err  error
}

func (e *ThrottledError) Error() string { return e.Err.Error() }

func (e *ThrottledError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrAWSThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrAWSThrottled }

// throttledCode returns the throttling code in an SDK error's text, "" for
// none.
func throttledCode(text string) string {
	for _, c := range throttledCodes {
		if strings.Contains(text, "api error "+c+":") {
			return c
		}
	}
	return ""
}

// markUnreachable returns err marked as a ThrottledError when text shows
// AWS throttled the provider's calls, as an UnreachableError when it shows
// the provider could not reach AWS (and AWS did not refuse the
// credentials, which says more); else err.
func markUnreachable(err error, text string) error {
	if err == nil || errors.Is(err, ErrAWSCredentials) || errors.Is(err, ErrAWSUnreachable) || errors.Is(err, ErrAWSThrottled) {
		return err
	}
	// Only an AWS SDK call's failure ("operation error RDS: ..."): a
	// plugin the CLI cannot dial is not AWS.
	if !strings.Contains(text, "operation error ") {
		return err
	}
	// Retries used up on throttling answers: AWS was reached, and said
	// to slow down.
	if code := throttledCode(text); code != "" {
		return &ThrottledError{Code: code, Err: err}
	}
	for _, s := range unreachableSigns {
		if strings.Contains(text, s) {
			return &UnreachableError{Sign: strings.TrimPrefix(s, ": "), Err: err}
		}
	}
	return err
}

// markAWS marks err as a refusal of the credentials or a network failure,
// whichever text shows.
func markAWS(err error, text string) error {
	return markUnreachable(markCredentials(err, text), text)
}

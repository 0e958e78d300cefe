package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind sorts an AWS failure into what a person (or the engine) does next.
// Each Kind is also a sentinel error, so errors.Is(err, ErrNotFound) works on
// any *Error.
type Kind int

// The kinds of failure.
const (
	// KindOther is anything not sorted below.
	KindOther Kind = iota
	// KindNotFound: the instance, snapshot or group does not exist (HTTP 404).
	KindNotFound
	// KindAlreadyExists: the name is taken (or still reserved after a rename).
	KindAlreadyExists
	// KindInvalidState: the resource is busy (modifying, renaming, deleting...).
	KindInvalidState
	// KindThrottled: AWS throttled us and the SDK's own retries did not help.
	KindThrottled
	// KindCredentialsExpired: the session token expired, or no credentials.
	KindCredentialsExpired
	// KindNetwork: the request never got an answer (connection refused,
	// reset, timeout) or AWS answered with a server error (5xx).
	KindNetwork
	// KindInvalidInput: AWS (or our own check before the call) rejected a value.
	KindInvalidInput
)

// Sentinels for errors.Is.
const (
	ErrOther              = KindOther
	ErrNotFound           = KindNotFound
	ErrAlreadyExists      = KindAlreadyExists
	ErrInvalidState       = KindInvalidState
	ErrThrottled          = KindThrottled
	ErrCredentialsExpired = KindCredentialsExpired
	ErrNetwork            = KindNetwork
	ErrInvalidInput       = KindInvalidInput
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindAlreadyExists:
		return "already exists"
	case KindInvalidState:
		return "invalid state"
	case KindThrottled:
		return "throttled"
	case KindCredentialsExpired:
		return "credentials expired"
	case KindNetwork:
		return "network"
	case KindInvalidInput:
		return "invalid input"
	default:
		return "other"
	}
}

// Error makes a Kind usable as a sentinel error.
func (k Kind) Error() string { return "aws: " + k.String() }

// Error is a failed AWS call, sorted by Kind, with the AWS error code, what it
// means for a person and the next action.
type Error struct {
	Kind Kind
	// Op is what we were doing, e.g. "describe instance app5ec7032".
	Op string
	// Code is the AWS error code (DBInstanceNotFound, ExpiredToken...), empty
	// for transport failures and our own input checks.
	Code string
	// Message is AWS's own message, if any.
	Message string
	// Summary says in plain words what went wrong.
	Summary string
	// Next is the action to take.
	Next string
	// RequestID is AWS's request id, useful in a support case.
	RequestID string
	// Err is the underlying error.
	Err error
}

// Error implements error: "op: summary (Code: message); next".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Summary)
	switch {
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, " (%s: %s)", e.Code, e.Message)
	case e.Code != "":
		fmt.Fprintf(&b, " (%s)", e.Code)
	case e.Message != "":
		fmt.Fprintf(&b, " (%s)", e.Message)
	}
	if e.Next != "" {
		b.WriteString("; ")
		b.WriteString(e.Next)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// KindOf returns the Kind of err, KindOther when err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// Temporary reports whether trying again later may help: throttling and
// network failures (server errors included).
func Temporary(err error) bool {
	k := KindOf(err)
	return k == KindThrottled || k == KindNetwork
}

// codeKinds sorts the AWS error codes RDS and STS answer with.
var codeKinds = map[string]Kind{
	"DBInstanceNotFound":                     KindNotFound,
	"DBInstanceNotFoundFault":                KindNotFound,
	"DBSnapshotNotFound":                     KindNotFound,
	"DBSnapshotNotFoundFault":                KindNotFound,
	"DBParameterGroupNotFound":               KindNotFound,
	"DBParameterGroupNotFoundFault":          KindNotFound,
	"DBSubnetGroupNotFoundFault":             KindNotFound,
	"DBSubnetGroupNotFound":                  KindNotFound,
	"DBSecurityGroupNotFound":                KindNotFound,
	"OptionGroupNotFoundFault":               KindNotFound,
	"ResourceNotFoundFault":                  KindNotFound,
	"DBLogFileNotFoundFault":                 KindNotFound,
	"DBInstanceAutomatedBackupNotFound":      KindNotFound,
	"DBInstanceAutomatedBackupNotFoundFault": KindNotFound,
	"PointInTimeRestoreNotEnabled":           KindInvalidInput,
	"PointInTimeRestoreNotEnabledFault":      KindInvalidInput,
	"DBInstanceAlreadyExists":                KindAlreadyExists,
	"DBInstanceAlreadyExistsFault":           KindAlreadyExists,
	"DBSnapshotAlreadyExists":                KindAlreadyExists,
	"DBSnapshotAlreadyExistsFault":           KindAlreadyExists,
	"DBParameterGroupAlreadyExists":          KindAlreadyExists,
	"InvalidDBInstanceState":                 KindInvalidState,
	"InvalidDBInstanceStateFault":            KindInvalidState,
	"InvalidDBSnapshotState":                 KindInvalidState,
	"InvalidDBSnapshotStateFault":            KindInvalidState,
	"InvalidDBParameterGroupState":           KindInvalidState,
	"DBUpgradeDependencyFailure":             KindInvalidState,
	"Throttling":                             KindThrottled,
	"ThrottlingException":                    KindThrottled,
	"ThrottledException":                     KindThrottled,
	"RequestThrottled":                       KindThrottled,
	"RequestThrottledException":              KindThrottled,
	"RequestLimitExceeded":                   KindThrottled,
	"TooManyRequestsException":               KindThrottled,
	"SlowDown":                               KindThrottled,
	"ExpiredToken":                           KindCredentialsExpired,
	"ExpiredTokenException":                  KindCredentialsExpired,
	"RequestExpired":                         KindCredentialsExpired,
	"InvalidClientTokenId":                   KindCredentialsExpired,
	"UnrecognizedClientException":            KindCredentialsExpired,
	"SignatureDoesNotMatch":                  KindCredentialsExpired,
	"IncompleteSignature":                    KindCredentialsExpired,
	"MissingAuthenticationToken":             KindCredentialsExpired,
	"AuthFailure":                            KindCredentialsExpired,
	"InvalidParameterValue":                  KindInvalidInput,
	"InvalidParameterCombination":            KindInvalidInput,
	"InvalidParameter":                       KindInvalidInput,
	"MissingParameter":                       KindInvalidInput,
	"ValidationError":                        KindInvalidInput,
	"InvalidAction":                          KindInvalidInput,
	"InvalidRestoreFault":                    KindInvalidInput,
	"StorageTypeNotSupported":                KindInvalidInput,
	"StorageTypeNotSupportedFault":           KindInvalidInput,
	"InvalidVPCNetworkStateFault":            KindInvalidInput,
	"InvalidDBSubnetGroupStateFault":         KindInvalidInput,
	"DBSubnetGroupDoesNotCoverEnoughAZs":     KindInvalidInput,
	"KMSKeyNotAccessibleFault":               KindInvalidInput,
	"InternalFailure":                        KindNetwork,
	"InternalError":                          KindNetwork,
	"ServiceUnavailable":                     KindNetwork,
	"ServiceUnavailableException":            KindNetwork,
	"RequestTimeout":                         KindNetwork,
	"RequestTimeoutException":                KindNetwork,
}

// codeHelp gives a plain explanation and next step for codes that deserve
// more than the kind's default text.
var codeHelp = map[string][2]string{
	"DBInstanceNotFound":           {"no DB instance by that identifier in this account and region", "check the identifier, the region and the AWS account (`datalayer status` lists every instance)"},
	"DBSnapshotNotFound":           {"no snapshot by that identifier in this account and region", "check the name (automated snapshots start with `rds:`); `datalayer status --instance ID` lists the snapshots"},
	"DBParameterGroupNotFound":     {"the DB parameter group does not exist", "create it first (the data stack defines it) or pick an existing one"},
	"DBSubnetGroupNotFoundFault":   {"the DB subnet group does not exist", "use the subnet group from the stack export"},
	"DBInstanceAlreadyExists":      {"an instance by that identifier already exists, or AWS still reserves the name after a rename", "pick another identifier, or wait a few minutes after a rename and try again"},
	"DBSnapshotAlreadyExists":      {"a snapshot by that name already exists", "pick another snapshot name, or delete the old snapshot if it is no longer needed (a fixed finalSnapshotIdentifier makes a second replacement fail this way)"},
	"InvalidDBInstanceState":       {"the instance is busy (not `available`) and cannot do this now", "wait until it is `available` again (`datalayer status`) and retry"},
	"DBLogFileNotFoundFault":       {"the instance has no log file by that name (RDS keeps them for a few days)", "list the instance's log files and pick one"},
	"InvalidRestoreFault":          {"AWS cannot restore to that point: the time is outside the instance's restorable window", "pick a time between the earliest and the latest restorable time (`datalayer status --instance ID` shows them)"},
	"PointInTimeRestoreNotEnabled": {"the source instance keeps no automated backups (backup retention 0), so it has no point in time to restore", "restore from a snapshot instead"},
	"InvalidDBSnapshotState":       {"the snapshot is not `available` yet", "wait for the snapshot to finish and retry"},
	"ExpiredToken":                 {"your AWS session expired", "refresh your credentials (aws sso login / re-export the keys) and run `datalayer resume`"},
	"RequestExpired":               {"AWS refused the request as expired (session ended or the machine's clock is off)", "check the system clock, refresh your credentials and run `datalayer resume`"},
	"InvalidClientTokenId":         {"AWS does not recognise the access key", "check AWS_ACCESS_KEY_ID / the profile in use (`datalayer status` shows which source won) and run `datalayer resume`"},
	"SignatureDoesNotMatch":        {"AWS rejected the request signature: the secret key does not match the access key", "re-export the key pair (or fix the profile) and run `datalayer resume`"},
	"AccessDenied":                 {"the AWS principal in use is not allowed to do this", "check which identity is in use (the runbook's first step shows it) and its IAM permissions"},
	"AccessDeniedException":        {"the AWS principal in use is not allowed to do this", "check which identity is in use (the runbook's first step shows it) and its IAM permissions"},
}

// kindHelp is the default explanation and next step per kind.
var kindHelp = map[Kind][2]string{
	KindOther:              {"AWS refused the request", "read AWS's message below; fix the cause and retry"},
	KindNotFound:           {"AWS has no such resource", "check the identifier, the region and the account"},
	KindAlreadyExists:      {"the name is already taken", "pick another name or remove the existing resource"},
	KindInvalidState:       {"the resource is busy and cannot do this now", "wait until it is `available` and retry"},
	KindThrottled:          {"AWS is throttling requests in this account and region (RDS allows about 12 requests/s, shared with the console and every tool)", "wait a minute and retry; close other tools polling RDS"},
	KindCredentialsExpired: {"your AWS credentials are expired or invalid", "refresh your credentials (aws sso login / re-export the keys) and run `datalayer resume`"},
	KindNetwork:            {"could not reach AWS, or AWS answered with a server error", "check the network (VPN, proxy, AWS_ENDPOINT_URL) and retry; `datalayer resume` continues where the run stopped"},
	KindInvalidInput:       {"AWS rejected a value in the request", "fix the value named in AWS's message and retry"},
}

// wrapErr turns any error from the SDK into an *Error with op as context.
// Context cancellation is passed through (wrapped with the op) so callers can
// still test for context.Canceled.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	e := &Error{Op: op, Err: err, Kind: KindOther}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.RequestID = re.ServiceRequestID()
	}
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		e.Code = api.ErrorCode()
		e.Message = api.ErrorMessage()
		if k, ok := codeKinds[e.Code]; ok {
			e.Kind = k
		} else if re != nil && re.HTTPStatusCode() >= 500 {
			e.Kind = KindNetwork
		} else if re != nil && re.HTTPStatusCode() == 429 {
			e.Kind = KindThrottled
		}
	case isCredentialsFailure(err):
		e.Kind = KindCredentialsExpired
		e.Summary = "no usable AWS credentials were found"
		e.Next = "log in (aws sso login), export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or set AWS_PROFILE, then run `datalayer resume`"
		e.Message = rootMessage(err)
	case isNetwork(err):
		e.Kind = KindNetwork
		e.Message = rootMessage(err)
	case re != nil && re.HTTPStatusCode() >= 500:
		e.Kind = KindNetwork
		e.Message = rootMessage(err)
	default:
		e.Message = rootMessage(err)
	}
	if e.Summary == "" {
		h, ok := codeHelp[e.Code]
		if !ok {
			h, ok = codeHelp[strings.TrimSuffix(e.Code, "Fault")]
		}
		if !ok {
			h = kindHelp[e.Kind]
		}
		e.Summary, e.Next = h[0], h[1]
	}
	return e
}

// isCredentialsFailure reports a failure to obtain credentials at all.
func isCredentialsFailure(err error) bool {
	var se *v4.SigningError
	if errors.As(err, &se) {
		return true
	}
	return strings.Contains(err.Error(), "failed to retrieve credentials") ||
		strings.Contains(err.Error(), "failed to refresh cached credentials")
}

// isNetwork reports transport failures: the request was sent (or tried) and
// no HTTP answer came back.
func isNetwork(err error) bool {
	var rse *smithyhttp.RequestSendError
	var ne net.Error
	var oe *net.OpError
	var ue *url.Error
	switch {
	case errors.As(err, &rse), errors.As(err, &oe), errors.As(err, &ue), errors.As(err, &ne):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var mae *retry.MaxAttemptsError
	if errors.As(err, &mae) {
		return isNetwork(mae.Err)
	}
	return false
}

// rootMessage returns the innermost error's text, which is usually the one
// that names the cause (connection refused, EOF...).
func rootMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// inputError is a value we refused before calling AWS.
func inputError(op, problem, next string) error {
	return &Error{Kind: KindInvalidInput, Op: op, Summary: problem, Next: next}
}

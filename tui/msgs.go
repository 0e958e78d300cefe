package tui

import (
	"time"

	"github.com/datalayer-tool/datalayer/engine"
)

// eventsMsg carries one or more engine events read in one go, and the time on
// the injected clock when they were read.
type eventsMsg struct {
	events []engine.Event
	closed bool // the channel closed after these events
	now    time.Time
}

// sessionClosedMsg says the session's event channel closed.
type sessionClosedMsg struct{ now time.Time }

// tickMsg refreshes elapsed times and poll ages.
type tickMsg struct{ now time.Time }

// answerSentMsg reports the result of Session.Answer.
type answerSentMsg struct {
	answer engine.Answer
	err    error
}

// markdownMsg carries a rendered explanation or gate body.
type markdownMsg struct {
	key  string
	text string
	err  error
}

// formDoneMsg says the embedded huh form was submitted.
type formDoneMsg struct{ promptID string }

// formCancelledMsg says the embedded huh form was aborted (ctrl+c).
type formCancelledMsg struct{ promptID string }

// infoMsg carries the session's RunInfo read again (the identity is only
// known once the first step has asked AWS).
type infoMsg struct{ info engine.RunInfo }

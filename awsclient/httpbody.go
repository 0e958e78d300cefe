package awsclient

import (
	"io"
	"net/http"
)

// httpDoer is what the SDK's HTTPClient option takes.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// plainBodyClient works around a race in smithy-go v1.28.9: it wraps each
// request body in a safe closer whose WriteTo returns io.EOF once the SDK has
// closed the body, which it does as soon as the response headers arrive.
// net/http's writer may still be draining the body then (it checks for bytes
// beyond Content-Length through io.Copy, which uses WriteTo and passes that
// io.EOF on as a failure); it then closes the keep-alive connection while the
// SDK reads the response, and a successful call fails with "use of closed
// network connection" (seen as about 1 poll in 100 while another call ran).
// Hiding WriteTo makes net/http read through Read, where io.EOF is the normal
// end of the body.
type plainBodyClient struct{ next httpDoer }

// Do implements httpDoer.
func (c plainBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return c.next.Do(r)
}

// readOnlyBody exposes only Read and Close.
type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }

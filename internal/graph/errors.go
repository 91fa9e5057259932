package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/netsafe"
)

// APIError is a non-success answer from Microsoft Graph, decoded from the
// OData error body {"error":{"code","message","innerError":{"request-id"}}}.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is error.code, e.g. "TooManyRequests" or "InvalidAuthenticationToken".
	Code string
	// Message is error.message, or the start of a non-JSON body.
	Message string
	// RequestID is innerError.request-id (or client-request-id), for support cases.
	RequestID string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph returned HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Retryable reports whether the same request may succeed later: throttling
// (429), timeouts (408) and server-side failures (500, 502, 503, 504).
func (e *APIError) Retryable() bool {
	switch e.Status {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// maxErrorText bounds the part of a non-JSON error body kept in Message.
const maxErrorText = 300

// DecodeError builds an *APIError from an HTTP status and the error body
// Graph sent. A body that is not the OData error shape is kept (shortened,
// whitespace folded) as the message.
func DecodeError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var w struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	err := json.Unmarshal(body, &w)
	var ute *json.UnmarshalTypeError
	if err == nil || errors.As(err, &ute) {
		e.Code = str(w.Error.Code)
		e.Message = str(w.Error.Message)
		e.RequestID = str(w.Error.InnerError.RequestID)
		if e.RequestID == "" {
			e.RequestID = str(w.Error.InnerError.ClientRequestID)
		}
	}
	if e.Code == "" && e.Message == "" {
		e.Message = snippet(body)
	}
	return e
}

// snippet returns the start of b as one line of valid UTF-8.
func snippet(b []byte) string {
	if len(b) > maxErrorText {
		b = b[:maxErrorText]
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " ")
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// AuthError is a failure to get an access token from Microsoft Entra ID (or
// the managed identity endpoint). It never wraps a Graph response, so
// errors.As(err, &authErr) tells sign-in failures from Graph failures.
type AuthError struct {
	// Code is the first AADSTS error code in the failure, e.g. "AADSTS7000215"
	// (invalid client secret), or "" when there is none.
	Code string
	// Timeout is true when the context's deadline ran out while signing in.
	Timeout bool
	msg     string
	err     error
	ctxErr  error
}

// Error implements error. The text is redacted of the client secret.
func (e *AuthError) Error() string { return e.msg }

// Unwrap returns the credential's error and, when the context ended, the
// context's error, so that errors.Is(err, context.DeadlineExceeded) works even
// though azidentity's own error does not match it.
func (e *AuthError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.ctxErr, e.err}
	}
	return []error{e.err}
}

var aadstsPattern = regexp.MustCompile(`AADSTS\d+`)

// newAuthError classifies a GetToken failure. secrets are removed from the
// message text.
func newAuthError(ctx context.Context, err error, secrets ...string) *AuthError {
	e := &AuthError{err: err}
	text := err.Error()
	e.Code = aadstsPattern.FindString(text)
	if cerr := ctx.Err(); cerr != nil {
		e.ctxErr = cerr
		e.Timeout = errors.Is(cerr, context.DeadlineExceeded)
		text = cerr.Error() + ": " + text
	}
	e.msg = "acquire token: " + shorten(netsafe.Secrets(summarizeAuth(text), secrets...), maxAuthText)
	return e
}

// maxAuthText bounds an AuthError's text: azidentity quotes a malformed
// token response whole, and that may be up to MaxTokenResponseBytes.
const maxAuthText = 2000

// shorten cuts s to at most n bytes of valid UTF-8, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + " …(shortened)"
}

var responseStatus = regexp.MustCompile(`RESPONSE (\d{3})`)

// summarizeAuth shortens azidentity's multi-line failure text, which embeds
// the whole token response, to the parts a person acts on: the HTTP status,
// the OAuth error and Entra's description without its trace identifiers.
// Text it cannot take apart is kept, folded onto one line.
func summarizeAuth(text string) string {
	i, j := strings.Index(text, "{"), strings.LastIndex(text, "}")
	if i < 0 || j < i {
		return oneLine(text)
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal([]byte(text[i:j+1]), &body) != nil || (body.Error == "" && body.Description == "") {
		return oneLine(text)
	}
	desc := body.Description
	if k := strings.Index(desc, " Trace ID:"); k > 0 {
		desc = desc[:k]
	}
	head := text[:i]
	if k := strings.Index(head, "RESPONSE"); k >= 0 {
		head = head[:k]
	}
	parts := []string{strings.TrimRight(oneLine(head), " -")}
	if m := responseStatus.FindStringSubmatch(text); m != nil {
		parts = append(parts, "HTTP "+m[1])
	}
	parts = append(parts, body.Error, oneLine(desc))
	kept := parts[:0]
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ": ")
}

// oneLine folds the multi-line azidentity error text into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

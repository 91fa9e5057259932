// Package wire holds what the HTTP channels (Teams, Slack, webhook and the
// ticket channels) share: a request that never puts the target URL into
// an error, redaction of secret-bearing URLs, body excerpts scrubbed of
// secrets, Retry-After parsing, and the mapping of HTTP statuses to
// retryable or permanent errors.
package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
)

// MaxBody is how much of a response body is read.
const MaxBody = 64 << 10

// CheckURL checks the url setting of an HTTP channel of type typ when its
// configuration is loaded: it must be set, and https (http only to a
// loopback host). what names the URL in the message; the URL is a secret
// and is never quoted.
func CheckURL(typ, what string, u config.Secret) config.FieldErrors {
	raw := u.Reveal()
	if raw == "" {
		return config.FieldErrors{{Key: "url", Related: []string{"url", "url_file"},
			Msg: fmt.Sprintf("a %s channel needs url (or url_file)", typ)}}
	}
	pu, err := url.Parse(raw)
	if err != nil || pu.Host == "" || (pu.Scheme != "https" && !(pu.Scheme == "http" && netsafe.IsLoopback(pu.Hostname()))) {
		return config.FieldErrors{{Key: "url", Msg: what + " must be an https URL (http only for a loopback host)"}}
	}
	return nil
}

// ParseURL checks that raw is an absolute http or https URL; the error
// names only the redacted form.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse URL %s: not a valid URL", netsafe.URL(raw))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("URL %s: scheme must be https or http", netsafe.URL(raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %s: no host", netsafe.URL(raw))
	}
	return u, nil
}

// Response is what the far end answered.
type Response struct {
	Status     int
	StatusLine string // e.g. "202 Accepted"
	Header     http.Header
	Body       []byte // at most MaxBody bytes
}

// Client returns a copy of c (a new client when nil) that does not follow
// redirects: a webhook that redirects is misconfigured, and following it
// would turn the POST into a GET and could echo the secret URL in errors.
func Client(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// Post sends body to target with the given headers. Errors name the
// target only as redacted and are retryable (network failures, timeouts);
// the caller classifies the Response.
func Post(ctx context.Context, c *http.Client, target, redacted string, h http.Header, body []byte) (*Response, error) {
	return Do(ctx, c, http.MethodPost, target, redacted, h, body)
}

// Do is Post with another method (GET, PATCH); a nil body sends none.
func Do(ctx context.Context, c *http.Client, method, target, redacted string, h http.Header, body []byte) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, notify.Permanent(fmt.Errorf("build request to %s: invalid URL", redacted))
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		// *url.Error carries the full URL; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, fmt.Errorf("%s %s: %w", verb(method), redacted, ctx.Err())
		}
		return nil, fmt.Errorf("%s %s: %w", verb(method), redacted, scrubbedError{err, target})
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s: %w", redacted, scrubbedError{err, target})
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody)) // let the connection be reused
	return &Response{Status: resp.StatusCode, StatusLine: statusLine(resp), Header: resp.Header, Body: b}, nil
}

// verb names a request in errors: "post to", as the channels always
// said, or "GET" for the others.
func verb(method string) string {
	if method == http.MethodPost {
		return "post to"
	}
	return method
}

// scrubbedError hides a secret that an inner error might quote while
// keeping errors.Is/As working on the cause.
type scrubbedError struct {
	err    error
	secret string
}

func (e scrubbedError) Error() string { return netsafe.Secrets(e.err.Error(), e.secret) }
func (e scrubbedError) Unwrap() error { return e.err }

func statusLine(r *http.Response) string {
	if s := strings.TrimSpace(r.Status); s != "" {
		return s
	}
	return strconv.Itoa(r.StatusCode) + " " + http.StatusText(r.StatusCode)
}

// Excerpt returns the body as one line of at most n bytes, cut at a rune
// boundary, with secrets scrubbed.
func Excerpt(b []byte, n int, secrets ...string) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "�")), " ")
	s = netsafe.Secrets(s, secrets...)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}

// RetryAfterDelay parses a Retry-After value (delay seconds or an HTTP
// date) relative to now; 0 when absent or unparsable. It is capped at one
// hour so that a hostile answer cannot park a delivery forever.
func RetryAfterDelay(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, time.Hour)
}

// StatusError classifies an unsuccessful answer: 429 is retryable after
// its Retry-After, 408 and 5xx are retryable, 3xx and other 4xx are
// permanent. The message reads "<action>: <status line>: <excerpt>" with
// secrets scrubbed from the excerpt.
func StatusError(action string, r *Response, now time.Time, secrets ...string) error {
	msg := action + ": " + r.StatusLine
	if ex := Excerpt(r.Body, 300, secrets...); ex != "" {
		msg += ": " + ex
	}
	err := errors.New(msg)
	switch {
	case r.Status == http.StatusTooManyRequests:
		if d := RetryAfterDelay(r.Header.Get("Retry-After"), now); d > 0 {
			return notify.RetryAfter(err, d)
		}
		return err
	case r.Status == http.StatusRequestTimeout || r.Status >= 500:
		if d := RetryAfterDelay(r.Header.Get("Retry-After"), now); d > 0 {
			return notify.RetryAfter(err, d)
		}
		return err
	default:
		return notify.Permanent(err)
	}
}

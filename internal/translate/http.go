package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/netsafe"
)

// HTTPOptions are the transport settings every HTTP provider shares.
type HTTPOptions struct {
	// Client sends the requests; nil means a client with a 30 s timeout.
	Client *http.Client
	// MaxAttempts bounds the tries of one request on 429/5xx; 0 means 4.
	MaxAttempts int
	// MaxRetryWait is the longest Retry-After honoured; a longer one ends
	// the retries. 0 means 60 s.
	MaxRetryWait time.Duration
	// Sleep waits between attempts; nil means a timer that ends with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read HTTP-date Retry-After values; nil means
	// time.Now.
	Now func() time.Time
}

// httpDoer sends one request with retries and keeps secrets out of errors.
type httpDoer struct {
	o       HTTPOptions
	secrets []string
}

func newDoer(o HTTPOptions, secrets ...string) *httpDoer {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 60 * time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var s []string
	for _, x := range secrets {
		if x != "" {
			s = append(s, x)
		}
	}
	return &httpDoer{o: o, secrets: s}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// retryable reports whether a status is worth another attempt (DeepL uses
// 529 for "too many requests" too).
func retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, 529,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// do sends the request built by build (called once per attempt) and
// retries on 429/5xx and transport errors, waiting Retry-After when given.
// Any response that is not retried is returned as is; the caller maps
// statuses to errors.
func (d *httpDoer) do(ctx context.Context, method, url string, header http.Header, body []byte) (response, error) {
	backoff := time.Second
	var last error
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return response{}, d.errorf("build request: %w", err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		wait := backoff
		resp, err := d.o.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return response{}, d.errorf("send request: %w", ctx.Err())
			}
			last = d.errorf("send request: %w", err)
		} else {
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
			resp.Body.Close()
			if rerr != nil {
				last = d.errorf("read response: %w", rerr)
			} else if !retryable(resp.StatusCode) {
				return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
			} else {
				last = d.errorf("HTTP %d: %s", resp.StatusCode, snippet(b))
				if ra, ok := retryAfter(resp.Header.Get("Retry-After"), d.o.Now()); ok {
					if ra > d.o.MaxRetryWait {
						return response{}, fmt.Errorf("%w (Retry-After %s is longer than %s)", last, ra, d.o.MaxRetryWait)
					}
					wait = ra
				}
			}
		}
		if attempt >= d.o.MaxAttempts {
			return response{}, fmt.Errorf("after %d attempts: %w", attempt, last)
		}
		if err := d.o.Sleep(ctx, wait); err != nil {
			return response{}, fmt.Errorf("wait to retry: %w (last: %w)", err, last)
		}
		backoff *= 2
	}
}

// postJSON POSTs req, encoded as JSON, to url with header h (retrying as do
// does) and decodes a 200 answer into out. Any other answer is turned into
// an error by apiError, which reads the provider's message from the body.
// The other errors are prefixed with action.
func (d *httpDoer) postJSON(ctx context.Context, action, url string, h http.Header, req, out any, apiError func(status int, body []byte) error) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", action, err)
	}
	resp, err := d.do(ctx, http.MethodPost, url, h, body)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.status != http.StatusOK {
		return apiError(resp.status, resp.body)
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("%s: decode response: %w", action, err)
	}
	return nil
}

// retryAfter reads a Retry-After value: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// errorf formats an error and removes every secret from its text. The
// chain is kept for errors.Is, but the message is the redacted one.
func (d *httpDoer) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	msg := d.redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: errors.Unwrap(err)}
}

func (d *httpDoer) redact(s string) string { return netsafe.Secrets(s, d.secrets...) }

// redactedError carries a cleaned message; Unwrap keeps sentinel checks
// working but only exposes errors of ours or the standard library.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error {
	// Only let the well-known sentinels through; a wrapped *url.Error would
	// print the secret again.
	for _, s := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(e.err, s) {
			return s
		}
	}
	return nil
}

var spaceRE = regexp.MustCompile(`\s+`)

// snippet is a short, single-line excerpt of a response body for errors.
func snippet(b []byte) string {
	s := strings.TrimSpace(spaceRE.ReplaceAllString(string(b), " "))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// langErrorRE spots "unsupported language" messages in 400 bodies.
var langErrorRE = regexp.MustCompile(`(?i)(language|lang\b|target_lang|source_lang|not supported|language pair)`)

// statusError maps a non-2xx response to an error: 401/403 ErrAuth, 456
// ErrQuota, 400 with a language message ErrUnsupportedLanguage. msg is the
// provider's message extracted from the body.
func (d *httpDoer) statusError(action string, status int, msg string) error {
	switch {
	case status == 456:
		return d.sentinelError(action, status, msg, ErrQuota)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return d.sentinelError(action, status, msg, ErrAuth)
	case status == http.StatusBadRequest && langErrorRE.MatchString(d.redact(msg)):
		return d.sentinelError(action, status, msg, ErrUnsupportedLanguage)
	}
	return fmt.Errorf("%s: HTTP %d %s", action, status, d.redact(msg))
}

// sentinelError is the error for a non-2xx response that the provider's
// message shows to be one of the sentinels (ErrQuota, ErrAuth, …); msg is
// redacted.
func (d *httpDoer) sentinelError(action string, status int, msg string, sentinel error) error {
	return fmt.Errorf("%s: HTTP %d %s: %w", action, status, d.redact(msg), sentinel)
}

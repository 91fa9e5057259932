package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
)

// DefaultAPITimeout bounds one request to a REST API when the channel sets
// no timeout.
const DefaultAPITimeout = 15 * time.Second

// API sends JSON requests to one REST API (a ticket tracker's).
type API struct {
	// HTTP does not follow redirects (see Client).
	HTTP *http.Client
	// Base is the API's base URL without a trailing slash.
	Base string
	// Header holds the credentials and the media types of every request.
	Header http.Header
	// Secrets are scrubbed from every error and excerpt.
	Secrets []string
	// Timeout bounds one request.
	Timeout time.Duration
}

// Do sends one request to Base+path; in, when not nil, is the JSON body.
// It returns the answer whatever its status; err is a transport failure
// (retryable) and never names more of the URL than its scheme and host.
func (c *API) Do(ctx context.Context, method, path string, in any) (*Response, error) {
	var body []byte
	h := c.Header.Clone()
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, notify.Permanent(fmt.Errorf("encode request: %w", err))
		}
		body = b
		h.Set("Content-Type", "application/json")
	}
	h.Set("User-Agent", "shdmc")
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultAPITimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target := c.Base + path
	resp, err := Do(ctx, c.HTTP, method, target, netsafe.URL(c.Base), h, body)
	if err != nil {
		return nil, errors.New(netsafe.Secrets(err.Error(), c.Secrets...))
	}
	return resp, nil
}

// Decode parses a successful answer into out. An answer that is not the
// JSON asked for (a login page, a hibernating instance's HTML) is a
// retryable error.
func Decode(action string, r *Response, out any, secrets ...string) error {
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("%s: %s: the answer is not the JSON expected: %q", action, r.StatusLine, Excerpt(r.Body, 120, secrets...))
	}
	return nil
}

// Hints complete the messages of the answers of a REST API that no retry
// can fix.
type Hints struct {
	// Unauthorized follows a 401: which credential was refused.
	Unauthorized string
	// Forbidden follows a 403: which permission may be missing.
	Forbidden string
	// NotFound follows a 404: what may not exist.
	NotFound string
}

// APIError classifies an unsuccessful answer of a REST API. 401, 403
// and 404 are permanent and say what to check; 429 is retried after
// RateLimitDelay (a minute when the tracker named no time); 408 and 5xx
// are retried with backoff (after Retry-After when given); other answers
// are permanent. msg is the tracker's own error message, "" for an
// excerpt of the body. Secrets are scrubbed.
func APIError(action string, r *Response, now time.Time, msg string, hints Hints, secrets ...string) error {
	line := action + ": " + r.StatusLine
	if msg = strings.TrimSpace(netsafe.Secrets(msg, secrets...)); msg == "" {
		msg = Excerpt(r.Body, 300, secrets...)
	}
	if msg != "" {
		line += ": " + Excerpt([]byte(msg), 300, secrets...)
	}
	hint := ""
	switch r.Status {
	case http.StatusUnauthorized:
		hint = hints.Unauthorized
	case http.StatusForbidden:
		hint = hints.Forbidden
	case http.StatusNotFound:
		hint = hints.NotFound
	case http.StatusTooManyRequests:
		return notify.RetryAfter(errors.New(line), RateLimitDelay(r.Header, now, time.Minute))
	}
	if hint != "" {
		return notify.Permanent(errors.New(line + " (" + hint + ")"))
	}
	return StatusError(action, &Response{Status: r.Status, StatusLine: r.StatusLine, Header: r.Header, Body: []byte(msg)}, now)
}

// RateLimitDelay returns how long a rate-limited client waits: the
// Retry-After header (seconds or an HTTP date), else X-RateLimit-Reset (a
// Unix time in seconds as GitHub and ServiceNow send it, or an ISO 8601
// time as Jira does), else def. It is at least a second and at most an
// hour.
func RateLimitDelay(h http.Header, now time.Time, def time.Duration) time.Duration {
	d := RetryAfterDelay(h.Get("Retry-After"), now)
	if d <= 0 {
		if t, ok := resetTime(h.Get("X-RateLimit-Reset")); ok {
			d = t.Sub(now)
		}
	}
	if d <= 0 {
		d = def
	}
	return min(max(d, time.Second), time.Hour)
}

// resetTime parses an X-RateLimit-Reset value.
func resetTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04Z0700", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// CheckBaseURL checks the base URL setting key of a REST API channel: set,
// absolute, https (http only for a loopback host), without credentials,
// query or fragment.
func CheckBaseURL(key, raw, example string) config.FieldErrors {
	if raw == "" {
		return config.FieldErrors{{Key: key, Msg: "is required, e.g. " + example}}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return config.FieldErrors{{Key: key, Msg: "must be an absolute URL, e.g. " + example}}
	case u.Scheme == "http" && !netsafe.IsLoopback(u.Hostname()):
		return config.FieldErrors{{Key: key, Msg: "must use https (http only for a loopback host)"}}
	case u.User != nil:
		return config.FieldErrors{{Key: key, Msg: "must not hold credentials; set them in their own keys"}}
	case u.RawQuery != "" || u.Fragment != "":
		return config.FieldErrors{{Key: key, Msg: "must not have a query or fragment"}}
	}
	return nil
}

// BaseURL returns raw checked as CheckBaseURL does and without a trailing
// slash.
func BaseURL(key, raw string) (string, error) {
	if errs := CheckBaseURL(key, raw, "https://…"); len(errs) > 0 {
		return "", errs.Err()
	}
	return strings.TrimRight(raw, "/"), nil
}

// Host returns the host (and port) of a base URL, for thread channel
// names.
func Host(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
}

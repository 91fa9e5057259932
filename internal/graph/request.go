package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/netsafe"
)

// attempt is the outcome of one HTTP request.
type attempt struct {
	status int
	response
	err error // transport or body read failure
}

// response is a 2xx answer: its body (for a list, with long strings cut),
// its header and the number of strings cut.
type response struct {
	body   []byte
	header http.Header
	cut    int
}

// fetch GETs u until accept takes the body of a 2xx answer, within the
// retry policy: Retry-After on 429/503, backoff with full jitter on 5xx,
// timeouts, broken connections and bodies accept rejects (malformed JSON),
// one fresh token on 401, no retry on other statuses, on redirects (which
// are never followed) and on bodies over a size limit. Every attempt passes
// the budget.
func (c *Client) fetch(ctx context.Context, u string, isList bool, accept func(r *response) error) error {
	retries, refreshed, fresh := 0, false, false
	for n := 0; n < c.maxRetries+2; n++ {
		if n > 0 {
			c.count(func(s *Stats) { s.Retries++ })
		}
		if err := c.budget.Wait(ctx); err != nil {
			return err
		}
		tok, err := c.tokens.token(ctx, fresh)
		if err != nil {
			return err
		}
		fresh = false
		a := c.do(ctx, u, tok, isList)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("get %s: %w", u, err)
		}
		var wait time.Duration
		var lastErr error
		var re *RedirectError
		switch {
		case errors.As(a.err, &re):
			return fmt.Errorf("get %s: %w", u, re)
		case errors.Is(a.err, errBodyTooLarge):
			return fmt.Errorf("get %s: %w", u, a.err)
		case a.err != nil:
			lastErr = fmt.Errorf("get %s: %w", u, a.err)
		case a.status >= 200 && a.status < 300:
			err := accept(&a.response)
			if isList {
				putPage(a.body) // accept copied what it keeps
			}
			if err == nil {
				return nil
			}
			lastErr = fmt.Errorf("get %s: malformed response: %w", u, err)
		case a.status == http.StatusUnauthorized && !refreshed:
			refreshed, fresh = true, true
			c.count(func(s *Stats) { s.TokenRefreshes++ })
			c.logger.Warn("graph token rejected, refreshing", "url", u)
			continue
		default:
			apiErr := DecodeError(a.status, a.body)
			apiErr.Message = netsafe.Secrets(apiErr.Message, tok) // a server echoing the header must not leak it
			apiErr.RetryAfter = parseRetryAfter(a.header.Get("Retry-After"), c.now())
			lastErr = fmt.Errorf("get %s: %w", u, apiErr)
			if !apiErr.Retryable() {
				return lastErr
			}
			if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
				c.count(func(s *Stats) { s.Throttled++ })
			}
			if apiErr.RetryAfter > c.maxRetryAfter {
				return lastErr
			}
			wait = apiErr.RetryAfter
			if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
				w := wait
				if w <= 0 {
					w = c.backoff(retries)
					wait = w
				}
				c.count(func(s *Stats) { s.ThrottledWait += w })
			}
		}
		if retries >= c.maxRetries {
			return fmt.Errorf("giving up after %d attempts: %w", n+1, lastErr)
		}
		if wait <= 0 {
			wait = c.backoff(retries)
		}
		retries++
		c.logger.Warn("graph request failed, retrying", "url", u, "status", a.status, "wait", wait, "retry", retries, "error", lastErr.Error())
		if err := sleepCtx(ctx, wait); err != nil {
			return fmt.Errorf("wait to retry: %w (last error: %v)", err, lastErr)
		}
	}
	return fmt.Errorf("get %s: retries exhausted", u)
}

// backoff returns a full-jitter wait for the given retry: uniform in
// [0, min(cap, base·2^retry)].
func (c *Client) backoff(retry int) time.Duration {
	d := c.backoffCap
	if retry < 30 {
		if e := c.backoffBase << retry; e > 0 && e < d {
			d = e
		}
	}
	return rand.N(d + 1)
}

// do sends one GET and reads the body within the per-attempt timeout and
// the size limits: a list page through readJSON, a document up to
// maxReport bytes, an error body up to maxErrorBodyBytes.
func (c *Client) do(ctx context.Context, u, token string, isList bool) attempt {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return attempt{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "shdmc")
	if isList {
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Prefer", "odata.maxpagesize="+strconv.Itoa(c.pageSize))
	}
	start := time.Now()
	resp, err := c.httpc.Do(req)
	c.count(func(s *Stats) { s.Requests++ })
	if err != nil {
		var re *RedirectError
		if errors.As(err, &re) {
			c.count(func(s *Stats) { s.ByStatus[re.Status]++ })
			return attempt{status: re.Status, err: re}
		}
		if actx.Err() != nil && ctx.Err() == nil {
			return attempt{err: fmt.Errorf("attempt timed out after %s: %w", c.timeout, err)}
		}
		return attempt{err: err}
	}
	defer resp.Body.Close()
	a := attempt{status: resp.StatusCode, response: response{header: resp.Header}}
	var n int64
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok && isList:
		if resp.ContentLength > c.maxBody {
			err = fmt.Errorf("%w: more than %d bytes", errBodyTooLarge, c.maxBody)
			break
		}
		a.body, a.cut, n, err = readJSON(resp.Body, resp.ContentLength, c.maxBody, c.maxPage, c.maxText)
	case ok:
		if resp.ContentLength > c.maxReport {
			err = fmt.Errorf("%w: document over %d bytes", errBodyTooLarge, c.maxReport)
			break
		}
		a.body, err = io.ReadAll(io.LimitReader(resp.Body, c.maxReport+1))
		n = int64(len(a.body))
		if err == nil && n > c.maxReport {
			err = fmt.Errorf("%w: document over %d bytes", errBodyTooLarge, c.maxReport)
		}
	default:
		a.body, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		n = int64(len(a.body))
	}
	c.count(func(s *Stats) {
		s.BytesRead += n
		s.ByStatus[resp.StatusCode]++
	})
	c.logger.Debug("graph request", "url", u, "status", resp.StatusCode, "bytes", n, "duration", time.Since(start))
	switch {
	case errors.Is(err, errBodyTooLarge):
		a.err = err
	case err != nil:
		a.err = fmt.Errorf("read response body (HTTP %d): %w", resp.StatusCode, err)
	}
	return a
}

// parseRetryAfter reads a Retry-After header: seconds, possibly fractional
// ("2.128"), or an HTTP date. It returns 0 when absent or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 || f != f || f > 86400*7 {
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

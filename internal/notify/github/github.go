// Package github is the GitHub Issues channel: one issue per item per
// tenant in one repository; every later notice about the item is a
// comment; resolution or withdrawal closes the issue and a reopened item
// reopens it (the bookkeeping is internal/notify/internal/ticket's).
//
// # Requests (REST API, version 2022-11-28)
//
// Every request carries Authorization: Bearer <token>, Accept:
// application/vnd.github+json and X-GitHub-Api-Version: 2022-11-28.
//
//   - Find: GET /repos/{owner}/{repo}/issues?labels=<marker>&state=all,
//     oldest first; pull requests are skipped. The item's label
//     ("shdmc:<tenant>:<item id>", or "shdmc:" and a hash when longer than
//     GitHub's 50 characters) is how the issue is found again after a
//     restart. Listing by label reads the repository, not the search
//     index, so an issue just opened is found at once.
//   - Create: POST /repos/{owner}/{repo}/issues {title, body, labels}
//     → 201 {number, html_url, state}. The body is the notice in Markdown
//     and ends in a hidden <!-- marker --> comment.
//   - Comment: POST /repos/{owner}/{repo}/issues/{number}/comments {body}
//     → 201.
//   - Close and reopen: a comment, then PATCH
//     /repos/{owner}/{repo}/issues/{number} {state: closed, state_reason:
//     completed | not_planned} or {state: open, state_reason: reopened}
//     → 200.
//   - Get: GET /repos/{owner}/{repo}/issues/{number}; 404, 410 (deleted)
//     and 301 (transferred) mean the issue is gone.
//
// # Answers
//
// 401 (bad credentials) and 403 (missing permission) are permanent and
// say what to check. A rate limit — 403 or 429 with Retry-After, with
// x-ratelimit-remaining: 0 and x-ratelimit-reset, or a message naming a
// secondary rate limit — is retried after the time GitHub names (a minute
// when it names none). 5xx are retried with backoff; 404, 410 and 422 are
// permanent. The token never appears in errors or receipts.
package github

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
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/ticket"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
	"github.com/shdmc/shdmc/internal/render"
)

// DefaultAPIURL is the REST API of github.com.
const DefaultAPIURL = "https://api.github.com"

// Limits of GitHub's fields.
const (
	maxLabel = 50
	maxTitle = 256
	maxBody  = 65536
)

// Config configures one GitHub channel.
type Config struct {
	// Repo is "owner/name".
	Repo string
	// Token authenticates every request. It is a secret.
	Token string
	// Labels are added to every issue opened.
	Labels []string
	// APIURL is the REST API base; "" means DefaultAPIURL.
	APIURL string
	// Timeout bounds one request; 0 means wire.DefaultAPITimeout.
	Timeout time.Duration
}

// GitHub is the GitHub Issues channel.
type GitHub struct {
	filer *ticket.Filer
}

var _ notify.Notifier = (*GitHub)(nil)

// tracker speaks the GitHub REST API for one repository.
type tracker struct {
	cfg    Config
	client *wire.API
	now    func() time.Time
	repo   string // the escaped "owner/name" path
}

// New validates cfg and returns the channel. client may be nil (a default
// client); threads may be nil (issues are then found by label only); now
// may be nil (time.Now).
func New(cfg Config, client *http.Client, threads notify.ThreadStore, now func() time.Time) (*GitHub, error) {
	s := Settings{Repo: cfg.Repo, Token: config.Secret(cfg.Token), Labels: cfg.Labels, APIURL: cfg.APIURL}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("github: %w", err)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("github %s: negative timeout %s", cfg.Repo, cfg.Timeout)
	}
	base := DefaultAPIURL
	if cfg.APIURL != "" {
		b, err := wire.BaseURL("api_url", cfg.APIURL)
		if err != nil {
			return nil, fmt.Errorf("github: %w", err)
		}
		base = b
	}
	if now == nil {
		now = time.Now
	}
	owner, name, _ := strings.Cut(cfg.Repo, "/")
	t := &tracker{cfg: cfg, now: now, repo: url.PathEscape(owner) + "/" + url.PathEscape(name),
		client: &wire.API{HTTP: wire.Client(client), Base: base, Timeout: cfg.Timeout, Secrets: []string{cfg.Token},
			Header: http.Header{
				"Authorization":        {"Bearer " + cfg.Token},
				"Accept":               {"application/vnd.github+json"},
				"X-Github-Api-Version": {"2022-11-28"},
			}}}
	channel := "ticket:github:" + strings.ToLower(cfg.Repo)
	if base != DefaultAPIURL {
		channel = "ticket:github:" + wire.Host(base) + "/" + strings.ToLower(cfg.Repo)
	}
	return &GitHub{filer: ticket.NewFiler(t, threads, channel, "GitHub issue", cfg.Token)}, nil
}

// ThreadChannel is the thread channel the channel records its issues
// under (see store.Tickets).
func (g *GitHub) ThreadChannel() string { return g.filer.Channel() }

// Notify implements notify.Notifier.
func (g *GitHub) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	return g.filer.Notify(ctx, n)
}

// Label returns the label that marks the issue of an item: its marker, or
// "shdmc:" and a hash when the marker is longer than a label may be.
func Label(marker string) string { return ticket.Shorten(marker, maxLabel) }

// issue is the part of GitHub's issue object the channel reads.
type issue struct {
	Number      int             `json:"number"`
	HTMLURL     string          `json:"html_url"`
	State       string          `json:"state"`
	PullRequest json.RawMessage `json:"pull_request"`
}

func (i issue) ticket() ticket.Ticket {
	n := strconv.Itoa(i.Number)
	return ticket.Ticket{ID: n, Name: "#" + n, URL: i.HTMLURL, Closed: i.State == "closed"}
}

// Get implements ticket.Tracker.
func (t *tracker) Get(ctx context.Context, id string) (ticket.Ticket, error) {
	action := fmt.Sprintf("read GitHub issue %s#%s", t.cfg.Repo, id)
	if _, err := strconv.Atoi(id); err != nil {
		return ticket.Ticket{}, ticket.ErrGone
	}
	resp, err := t.client.Do(ctx, http.MethodGet, "/repos/"+t.repo+"/issues/"+id, nil)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("%s: %w", action, err)
	}
	switch resp.Status {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone, http.StatusMovedPermanently:
		return ticket.Ticket{}, fmt.Errorf("%s: %s: %w", action, resp.StatusLine, ticket.ErrGone)
	default:
		return ticket.Ticket{}, t.fail(action, resp)
	}
	var is issue
	if err := wire.Decode(action, resp, &is, t.cfg.Token); err != nil {
		return ticket.Ticket{}, err
	}
	return is.ticket(), nil
}

// Find implements ticket.Tracker.
func (t *tracker) Find(ctx context.Context, u *ticket.Update) (ticket.Ticket, bool, error) {
	label := Label(u.Marker)
	action := fmt.Sprintf("find the GitHub issue labelled %s in %s", label, t.cfg.Repo)
	q := url.Values{"labels": {label}, "state": {"all"}, "sort": {"created"}, "direction": {"asc"}, "per_page": {"20"}}
	resp, err := t.client.Do(ctx, http.MethodGet, "/repos/"+t.repo+"/issues?"+q.Encode(), nil)
	if err != nil {
		return ticket.Ticket{}, false, fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusOK {
		return ticket.Ticket{}, false, t.fail(action, resp)
	}
	var list []issue
	if err := wire.Decode(action, resp, &list, t.cfg.Token); err != nil {
		return ticket.Ticket{}, false, err
	}
	for _, is := range list {
		if len(is.PullRequest) == 0 || string(is.PullRequest) == "null" {
			return is.ticket(), true, nil
		}
	}
	return ticket.Ticket{}, false, nil
}

// Create implements ticket.Tracker.
func (t *tracker) Create(ctx context.Context, u *ticket.Update) (ticket.Ticket, error) {
	action := "open a GitHub issue in " + t.cfg.Repo
	labels := append([]string{Label(u.Marker)}, t.cfg.Labels...)
	req := map[string]any{"title": ticket.CutRunes(u.Title(), maxTitle), "body": body(u), "labels": labels}
	resp, err := t.client.Do(ctx, http.MethodPost, "/repos/"+t.repo+"/issues", req)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusCreated {
		return ticket.Ticket{}, t.fail(action, resp)
	}
	var is issue
	if err := wire.Decode(action, resp, &is, t.cfg.Token); err != nil {
		return ticket.Ticket{}, err
	}
	if is.Number == 0 {
		return ticket.Ticket{}, fmt.Errorf("%s: %s: the answer names no issue number", action, resp.StatusLine)
	}
	return is.ticket(), nil
}

// body is the Markdown of an update with the item's marker in a hidden
// comment, cut to GitHub's limit.
func body(u *ticket.Update) string {
	_, md := u.Text(render.FormatMarkdown)
	marker := "\n\n<!-- " + strings.ReplaceAll(u.Marker, "--", "-\u200b-") + " -->"
	return ticket.Cut(md, maxBody-len(marker)-16) + marker
}

// Comment implements ticket.Tracker.
func (t *tracker) Comment(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	action := fmt.Sprintf("comment on GitHub issue %s#%s", t.cfg.Repo, tk.ID)
	resp, err := t.client.Do(ctx, http.MethodPost, "/repos/"+t.repo+"/issues/"+tk.ID+"/comments", map[string]string{"body": body(u)})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusCreated {
		return t.fail(action, resp)
	}
	return nil
}

// Close implements ticket.Tracker: a comment, then state closed, as
// completed (resolved) or not planned (withdrawn, duplicate).
func (t *tracker) Close(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	if err := t.Comment(ctx, tk, u); err != nil {
		return err
	}
	reason := "completed"
	if u.Close == ticket.Withdrawn || u.Close == ticket.Duplicate {
		reason = "not_planned"
	}
	return t.setState(ctx, tk, "closed", reason)
}

// Reopen implements ticket.Tracker.
func (t *tracker) Reopen(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	if err := t.Comment(ctx, tk, u); err != nil {
		return err
	}
	return t.setState(ctx, tk, "open", "reopened")
}

func (t *tracker) setState(ctx context.Context, tk ticket.Ticket, state, reason string) error {
	action := fmt.Sprintf("set GitHub issue %s#%s %s", t.cfg.Repo, tk.ID, state)
	resp, err := t.client.Do(ctx, http.MethodPatch, "/repos/"+t.repo+"/issues/"+tk.ID,
		map[string]string{"state": state, "state_reason": reason})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusOK {
		return t.fail(action, resp)
	}
	return nil
}

// apiError is GitHub's error body.
type apiError struct {
	Message string `json:"message"`
	Errors  []struct {
		Resource string `json:"resource"`
		Field    string `json:"field"`
		Code     string `json:"code"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// fail classifies an unsuccessful answer: GitHub's rate limits (403 or
// 429) are retried when it says to, other 401 and 403 are permanent.
func (t *tracker) fail(action string, r *wire.Response) error {
	var e apiError
	_ = json.Unmarshal(r.Body, &e)
	msg := e.Message
	for _, fe := range e.Errors {
		part := strings.Trim(strings.Join([]string{fe.Resource, fe.Field, fe.Code, fe.Message}, " "), " ")
		msg += "; " + strings.Join(strings.Fields(part), " ")
	}
	now := t.now()
	if r.Status == http.StatusForbidden || r.Status == http.StatusTooManyRequests {
		if d, ok := rateLimited(r, e.Message, now); ok {
			return notify.RetryAfter(errors.New(action+": "+r.StatusLine+": "+wire.Excerpt([]byte(msg), 300, t.cfg.Token)+" (rate limited)"), d)
		}
	}
	return wire.APIError(action, r, now, msg, wire.Hints{
		Unauthorized: "GitHub refused the token: it is wrong, expired or revoked",
		Forbidden: "the token may not write issues in " + t.cfg.Repo +
			": a fine-grained token needs Issues: Read and write on the repository, a classic token the repo scope",
		NotFound: "no repository " + t.cfg.Repo + " that the token can see",
	}, t.cfg.Token)
}

// rateLimited reports whether a 403 or 429 is one of GitHub's rate limits
// and how long to wait, as GitHub's documentation says: retry-after when
// present; else until x-ratelimit-reset when x-ratelimit-remaining is 0;
// else a minute for a 429 or a message naming a (secondary) rate limit.
func rateLimited(r *wire.Response, msg string, now time.Time) (time.Duration, bool) {
	if d := wire.RetryAfterDelay(r.Header.Get("Retry-After"), now); d > 0 {
		return max(d, time.Second), true
	}
	if r.Header.Get("X-Ratelimit-Remaining") == "0" && r.Header.Get("X-Ratelimit-Reset") != "" {
		h := http.Header{"X-Ratelimit-Reset": r.Header.Values("X-Ratelimit-Reset")}
		return wire.RateLimitDelay(h, now, time.Minute), true
	}
	if r.Status == http.StatusTooManyRequests || strings.Contains(strings.ToLower(msg), "rate limit") {
		return time.Minute, true
	}
	return 0, false
}

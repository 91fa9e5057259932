// Package jira is the Jira Cloud channel: one issue per item per tenant in
// one project; every later notice about the item is a comment; resolution
// or withdrawal moves the issue through the transition named "Done" (or
// close_transition), and a reopened item through "To Do" (the bookkeeping
// is internal/notify/internal/ticket's).
//
// # Requests (REST API v3)
//
// Every request carries Authorization: Basic base64(<email>:<API token>)
// and Accept: application/json. Text goes in Atlassian Document Format:
// the plain-text notice, one paragraph per block (see ADF).
//
//   - Find: POST /rest/api/3/search/jql {jql: project = "<P>" AND labels =
//     "<marker>" ORDER BY created ASC, fields: [status], maxResults: 1}
//     → {issues: [{id, key, fields: {status}}], isLast}. The item's label
//     "shdmc:<tenant>:<item id>" is how the issue is found again after a
//     restart. Jira's search index may lag a few seconds behind a new
//     issue: the store's record of the issue and the per-item lock cover
//     that gap within one process; the store keeps two processes from
//     keeping two issues.
//   - Create: POST /rest/api/3/issue {fields: {project: {key}, issuetype:
//     {name}, summary, description: <ADF>, labels}} → 201 {id, key, self}.
//   - Comment: POST /rest/api/3/issue/{key}/comment {body: <ADF>} → 201.
//   - Close and reopen: a comment, then GET
//     /rest/api/3/issue/{key}/transitions → {transitions: [{id, name, to:
//     {name, statusCategory: {key}}}]}, the transition found by name (of
//     the transition or of its status, any case) or else by the category
//     of its status (done; new), then POST
//     /rest/api/3/issue/{key}/transitions {transition: {id}} → 204.
//   - Get: GET /rest/api/3/issue/{key}?fields=status; 404 means gone. An
//     issue whose status is in the Done category is closed.
//
// # Answers
//
// 401 (the email and token were refused), 403 (a missing project
// permission), 404 and 400 (a field Jira rejects, with its message) are
// permanent. 429 is retried after Retry-After, else after
// X-RateLimit-Reset, else a minute; 5xx after Retry-After or with backoff.
// The API token never appears in errors or receipts.
package jira

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/ticket"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Limits of Jira's fields.
const (
	maxLabel   = 255
	maxSummary = 255
	maxText    = 32000 // of 32,767 characters a text field holds
)

// Config configures one Jira channel.
type Config struct {
	// Site is the Jira Cloud site (https://contoso.atlassian.net).
	Site string
	// Email and APIToken authenticate every request; APIToken is a
	// secret.
	Email, APIToken string
	// Project is the project key.
	Project string
	// IssueType is the issue type's name; "" means DefaultIssueType.
	IssueType string
	// Labels are added to every issue opened.
	Labels []string
	// CloseTransition and ReopenTransition name the transitions; ""
	// means the defaults.
	CloseTransition, ReopenTransition string
	// Timeout bounds one request; 0 means wire.DefaultAPITimeout.
	Timeout time.Duration
}

// Jira is the Jira Cloud channel.
type Jira struct {
	filer *ticket.Filer
}

var _ notify.Notifier = (*Jira)(nil)

// tracker speaks the Jira REST API v3 for one project.
type tracker struct {
	cfg    Config
	site   string
	client *wire.API
	now    func() time.Time
}

// New validates cfg and returns the channel. client may be nil (a default
// client); threads may be nil (issues are then found by search only); now
// may be nil (time.Now).
func New(cfg Config, client *http.Client, threads notify.ThreadStore, now func() time.Time) (*Jira, error) {
	s := Settings{Site: cfg.Site, Email: cfg.Email, APIToken: config.Secret(cfg.APIToken), Project: cfg.Project, Labels: cfg.Labels}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("jira: %w", err)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("jira %s: negative timeout %s", cfg.Project, cfg.Timeout)
	}
	cfg.IssueType = cmpOr(cfg.IssueType, DefaultIssueType)
	cfg.CloseTransition = cmpOr(cfg.CloseTransition, DefaultCloseTransition)
	cfg.ReopenTransition = cmpOr(cfg.ReopenTransition, DefaultReopenTransition)
	site, err := wire.BaseURL("site", cfg.Site)
	if err != nil {
		return nil, fmt.Errorf("jira: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	basic := base64.StdEncoding.EncodeToString([]byte(cfg.Email + ":" + cfg.APIToken))
	secrets := []string{cfg.APIToken, basic}
	t := &tracker{cfg: cfg, site: site, now: now,
		client: &wire.API{HTTP: wire.Client(client), Base: site + "/rest/api/3", Timeout: cfg.Timeout, Secrets: secrets,
			Header: http.Header{"Authorization": {"Basic " + basic}, "Accept": {"application/json"}}}}
	channel := "ticket:jira:" + wire.Host(site) + "/" + cfg.Project
	return &Jira{filer: ticket.NewFiler(t, threads, channel, "Jira issue", secrets...)}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ThreadChannel is the thread channel the channel records its issues
// under (see store.Tickets).
func (j *Jira) ThreadChannel() string { return j.filer.Channel() }

// Notify implements notify.Notifier.
func (j *Jira) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	return j.filer.Notify(ctx, n)
}

// Label returns the label that marks the issue of an item.
func Label(marker string) string { return ticket.Shorten(marker, maxLabel) }

// issue is the part of Jira's issue object the channel reads.
type issue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status *status `json:"status"`
	} `json:"fields"`
}

type status struct {
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"` // new, indeterminate, done
	} `json:"statusCategory"`
}

func (t *tracker) ticket(is issue) ticket.Ticket {
	closed := is.Fields.Status != nil && is.Fields.Status.StatusCategory.Key == "done"
	return ticket.Ticket{ID: is.Key, URL: t.site + "/browse/" + url.PathEscape(is.Key), Closed: closed}
}

// Get implements ticket.Tracker.
func (t *tracker) Get(ctx context.Context, key string) (ticket.Ticket, error) {
	action := "read Jira issue " + key
	resp, err := t.client.Do(ctx, http.MethodGet, "/issue/"+url.PathEscape(key)+"?fields=status", nil)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("%s: %w", action, err)
	}
	switch resp.Status {
	case http.StatusOK:
	case http.StatusNotFound:
		return ticket.Ticket{}, fmt.Errorf("%s: %s: %w", action, resp.StatusLine, ticket.ErrGone)
	default:
		return ticket.Ticket{}, t.fail(action, resp)
	}
	var is issue
	if err := wire.Decode(action, resp, &is, t.client.Secrets...); err != nil {
		return ticket.Ticket{}, err
	}
	return t.ticket(is), nil
}

// jqlString quotes s as a JQL string.
func jqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// JQL is the query that finds the issue of an item in a project.
func JQL(project, marker string) string {
	return "project = " + jqlString(project) + " AND labels = " + jqlString(Label(marker)) + " ORDER BY created ASC"
}

// Find implements ticket.Tracker.
func (t *tracker) Find(ctx context.Context, u *ticket.Update) (ticket.Ticket, bool, error) {
	action := fmt.Sprintf("search project %s for the Jira issue labelled %s", t.cfg.Project, Label(u.Marker))
	req := map[string]any{"jql": JQL(t.cfg.Project, u.Marker), "fields": []string{"status"}, "maxResults": 1}
	resp, err := t.client.Do(ctx, http.MethodPost, "/search/jql", req)
	if err != nil {
		return ticket.Ticket{}, false, fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusOK {
		return ticket.Ticket{}, false, t.fail(action, resp)
	}
	var res struct {
		Issues []issue `json:"issues"`
	}
	if err := wire.Decode(action, resp, &res, t.client.Secrets...); err != nil {
		return ticket.Ticket{}, false, err
	}
	if len(res.Issues) == 0 || res.Issues[0].Key == "" {
		return ticket.Ticket{}, false, nil
	}
	return t.ticket(res.Issues[0]), true, nil
}

// text is the plain text of an update, cut to what a Jira text field
// holds.
func text(u *ticket.Update) Node { return ADF(ticket.Cut(u.Plain(), maxText)) }

// Create implements ticket.Tracker.
func (t *tracker) Create(ctx context.Context, u *ticket.Update) (ticket.Ticket, error) {
	action := "open a Jira issue in project " + t.cfg.Project
	fields := map[string]any{
		"project":     map[string]string{"key": t.cfg.Project},
		"issuetype":   map[string]string{"name": t.cfg.IssueType},
		"summary":     ticket.CutRunes(u.Title(), maxSummary),
		"description": text(u),
		"labels":      append([]string{Label(u.Marker)}, t.cfg.Labels...),
	}
	resp, err := t.client.Do(ctx, http.MethodPost, "/issue", map[string]any{"fields": fields})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusCreated {
		return ticket.Ticket{}, t.fail(action, resp)
	}
	var is issue
	if err := wire.Decode(action, resp, &is, t.client.Secrets...); err != nil {
		return ticket.Ticket{}, err
	}
	if is.Key == "" {
		return ticket.Ticket{}, fmt.Errorf("%s: %s: the answer names no issue key", action, resp.StatusLine)
	}
	return t.ticket(is), nil
}

// Comment implements ticket.Tracker.
func (t *tracker) Comment(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	action := "comment on Jira issue " + tk.ID
	resp, err := t.client.Do(ctx, http.MethodPost, "/issue/"+url.PathEscape(tk.ID)+"/comment", map[string]any{"body": text(u)})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusCreated {
		return t.fail(action, resp)
	}
	return nil
}

// Close implements ticket.Tracker: a comment, then the close transition.
func (t *tracker) Close(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	if err := t.Comment(ctx, tk, u); err != nil {
		return err
	}
	return t.transition(ctx, tk, t.cfg.CloseTransition, "done", true)
}

// Reopen implements ticket.Tracker: a comment, then the reopen transition
// when the workflow has one.
func (t *tracker) Reopen(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	if err := t.Comment(ctx, tk, u); err != nil {
		return err
	}
	return t.transition(ctx, tk, t.cfg.ReopenTransition, "new", false)
}

// transitionT is one of the transitions of an issue.
type transitionT struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   status `json:"to"`
}

// transition moves tk through the transition named name (or leading to a
// status so named), else the first one leading to a status of category.
// Without either it fails when required, and does nothing otherwise.
func (t *tracker) transition(ctx context.Context, tk ticket.Ticket, name, category string, required bool) error {
	action := fmt.Sprintf("move Jira issue %s through %q", tk.ID, name)
	path := "/issue/" + url.PathEscape(tk.ID) + "/transitions"
	resp, err := t.client.Do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusOK {
		return t.fail(action, resp)
	}
	var res struct {
		Transitions []transitionT `json:"transitions"`
	}
	if err := wire.Decode(action, resp, &res, t.client.Secrets...); err != nil {
		return err
	}
	pick := func(match func(transitionT) bool) (transitionT, bool) {
		i := slices.IndexFunc(res.Transitions, match)
		if i < 0 {
			return transitionT{}, false
		}
		return res.Transitions[i], true
	}
	tr, ok := pick(func(x transitionT) bool { return strings.EqualFold(x.Name, name) })
	if !ok {
		tr, ok = pick(func(x transitionT) bool { return strings.EqualFold(x.To.Name, name) })
	}
	if !ok {
		tr, ok = pick(func(x transitionT) bool { return x.To.StatusCategory.Key == category })
	}
	if !ok {
		if !required {
			return nil
		}
		var names []string
		for _, x := range res.Transitions {
			names = append(names, fmt.Sprintf("%q", x.Name))
		}
		return notify.Permanent(fmt.Errorf("%s: the issue has no such transition (available: %s); set close_transition",
			action, cmpOr(strings.Join(names, ", "), "none")))
	}
	resp, err = t.client.Do(ctx, http.MethodPost, path, map[string]any{"transition": map[string]string{"id": tr.ID}})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusNoContent && resp.Status != http.StatusOK {
		return t.fail(action, resp)
	}
	return nil
}

// fail classifies an unsuccessful answer.
func (t *tracker) fail(action string, r *wire.Response) error {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(r.Body, &e) == nil {
		parts = append(parts, e.ErrorMessages...)
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts = append(parts, k+": "+e.Errors[k])
		}
	}
	return wire.APIError(action, r, t.now(), strings.Join(parts, "; "), wire.Hints{
		Unauthorized: "Jira refused the email and API token: check both (an API token from id.atlassian.com of the account with that email)",
		Forbidden:    "the account lacks a permission in project " + t.cfg.Project + ": Browse projects, Create issues, Add comments, Transition issues",
		NotFound:     "no such project or issue that the account can see",
	}, t.client.Secrets...)
}

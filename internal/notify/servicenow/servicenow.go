// Package servicenow is the ServiceNow channel: one incident per item per
// tenant, found by its correlation ID; every later notice about the item
// is a work note (or comment); resolution or withdrawal resolves the
// incident (state 6, close code and close notes) and a reopened item sets
// it in progress again (the bookkeeping is
// internal/notify/internal/ticket's).
//
// # Requests (Table API)
//
// Every request carries basic authentication and Accept:
// application/json; answers are {"result": …}, fields as strings.
//
//   - Find: GET /api/now/table/incident?sysparm_query=correlation_id=
//     <marker>^ORDERBYsys_created_on&sysparm_fields=sys_id,number,state&
//     sysparm_limit=1 → 200 {result: [{sys_id, number, state}]}. The
//     correlation ID "shdmc:<tenant>:<item id>" (correlation_display
//     "shdmc") is how the incident is found again after a restart.
//   - Create: POST /api/now/table/incident {short_description,
//     description, correlation_id, correlation_display, <fields>} → 201
//     {result: {sys_id, number, state}}.
//   - Comment: PATCH /api/now/table/incident/{sys_id} {work_notes} → 200.
//   - Close: PATCH {state: "6", close_code, close_notes} → 200.
//   - Reopen: PATCH {state: "2", work_notes} → 200.
//   - Get: GET /api/now/table/incident/{sys_id}; 404 means gone. States
//     6 (Resolved), 7 (Closed) and 8 (Canceled) are closed.
//
// Text is plain, cut to the 4,000 characters the incident's text fields
// hold by default; short_description to 160.
//
// # Answers
//
// 401 (user or password refused), 403 (an ACL or a missing role), 404
// and 400 are permanent, with the instance's {"error": {message, detail}}.
// 429 (an inbound REST rate limit rule) is retried after Retry-After,
// else after X-RateLimit-Reset, else a minute; 5xx with backoff; a 200
// that is not JSON (a hibernating developer instance answers with a
// page) with backoff. The password never appears in errors or receipts.
package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/ticket"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Limits of the incident's fields (their default lengths).
const (
	maxCorrelation = 100
	maxShort       = 160
	maxText        = 4000
)

// The incident states the channel sets and reads.
const (
	stateInProgress = "2"
	stateResolved   = "6"
)

// closedStates are Resolved, Closed and Canceled.
var closedStates = map[string]bool{"6": true, "7": true, "8": true}

// table is the table the channel writes.
const table = "incident"

// Config configures one ServiceNow channel.
type Config struct {
	// Instance is the instance's URL.
	Instance string
	// Username and Password authenticate every request; Password is a
	// secret.
	Username, Password string
	// Fields are "name=value" pairs set on every incident opened.
	Fields []string
	// CommentField is work_notes or comments; "" means work_notes.
	CommentField string
	// CloseCode is set when an incident is resolved; "" means
	// DefaultCloseCode.
	CloseCode string
	// Timeout bounds one request; 0 means wire.DefaultAPITimeout.
	Timeout time.Duration
}

// ServiceNow is the ServiceNow channel.
type ServiceNow struct {
	filer *ticket.Filer
}

var _ notify.Notifier = (*ServiceNow)(nil)

// tracker speaks the Table API of one instance.
type tracker struct {
	cfg      Config
	instance string
	fields   map[string]string
	client   *wire.API
	now      func() time.Time
}

// New validates cfg and returns the channel. client may be nil (a default
// client); threads may be nil (incidents are then found by correlation ID
// only); now may be nil (time.Now).
func New(cfg Config, client *http.Client, threads notify.ThreadStore, now func() time.Time) (*ServiceNow, error) {
	s := Settings{Instance: cfg.Instance, Username: cfg.Username, Password: config.Secret(cfg.Password), Fields: cfg.Fields,
		CommentField: cfg.CommentField}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("servicenow: %w", err)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("servicenow: negative timeout %s", cfg.Timeout)
	}
	if cfg.CommentField == "" {
		cfg.CommentField = DefaultCommentField
	}
	if cfg.CloseCode == "" {
		cfg.CloseCode = DefaultCloseCode
	}
	instance, err := wire.BaseURL("instance", cfg.Instance)
	if err != nil {
		return nil, fmt.Errorf("servicenow: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	fields := map[string]string{}
	for _, f := range cfg.Fields {
		k, v, _ := strings.Cut(f, "=")
		fields[k] = v
	}
	basic := base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + cfg.Password))
	secrets := []string{cfg.Password, basic}
	t := &tracker{cfg: cfg, instance: instance, fields: fields, now: now,
		client: &wire.API{HTTP: wire.Client(client), Base: instance + "/api/now/table/" + table, Timeout: cfg.Timeout,
			Secrets: secrets, Header: http.Header{"Authorization": {"Basic " + basic}, "Accept": {"application/json"}}}}
	channel := "ticket:servicenow:" + wire.Host(instance)
	return &ServiceNow{filer: ticket.NewFiler(t, threads, channel, "ServiceNow incident", secrets...)}, nil
}

// ThreadChannel is the thread channel the channel records its incidents
// under (see store.Tickets).
func (s *ServiceNow) ThreadChannel() string { return s.filer.Channel() }

// Notify implements notify.Notifier.
func (s *ServiceNow) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	return s.filer.Notify(ctx, n)
}

// CorrelationID returns the correlation ID of the incident of an item.
func CorrelationID(marker string) string { return ticket.Shorten(marker, maxCorrelation) }

// record is the part of an incident the channel reads.
type record struct {
	SysID  string `json:"sys_id"`
	Number string `json:"number"`
	State  string `json:"state"`
}

func (t *tracker) ticket(r record) ticket.Ticket {
	return ticket.Ticket{ID: r.SysID, Name: r.Number, URL: t.instance + "/" + table + ".do?sys_id=" + url.QueryEscape(r.SysID),
		Closed: closedStates[r.State]}
}

// fieldsParam asks for the fields the channel reads.
const fieldsParam = "sysparm_fields=sys_id%2Cnumber%2Cstate"

// Get implements ticket.Tracker.
func (t *tracker) Get(ctx context.Context, sysID string) (ticket.Ticket, error) {
	action := "read ServiceNow incident " + sysID
	resp, err := t.client.Do(ctx, http.MethodGet, "/"+url.PathEscape(sysID)+"?"+fieldsParam, nil)
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
	var res struct {
		Result record `json:"result"`
	}
	if err := wire.Decode(action, resp, &res, t.client.Secrets...); err != nil {
		return ticket.Ticket{}, err
	}
	return t.ticket(res.Result), nil
}

// Query is the encoded query that finds the incident of an item.
func Query(marker string) string {
	return "correlation_id=" + CorrelationID(marker) + "^ORDERBYsys_created_on"
}

// Find implements ticket.Tracker.
func (t *tracker) Find(ctx context.Context, u *ticket.Update) (ticket.Ticket, bool, error) {
	action := "find the ServiceNow incident with correlation ID " + CorrelationID(u.Marker)
	q := "?sysparm_query=" + url.QueryEscape(Query(u.Marker)) + "&" + fieldsParam + "&sysparm_limit=1"
	resp, err := t.client.Do(ctx, http.MethodGet, q, nil)
	if err != nil {
		return ticket.Ticket{}, false, fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusOK {
		return ticket.Ticket{}, false, t.fail(action, resp)
	}
	var res struct {
		Result []record `json:"result"`
	}
	if err := wire.Decode(action, resp, &res, t.client.Secrets...); err != nil {
		return ticket.Ticket{}, false, err
	}
	if len(res.Result) == 0 || res.Result[0].SysID == "" {
		return ticket.Ticket{}, false, nil
	}
	return t.ticket(res.Result[0]), true, nil
}

// Create implements ticket.Tracker.
func (t *tracker) Create(ctx context.Context, u *ticket.Update) (ticket.Ticket, error) {
	action := "open a ServiceNow incident"
	body := map[string]string{}
	for k, v := range t.fields {
		body[k] = v
	}
	body["short_description"] = ticket.CutRunes(u.Title(), maxShort)
	body["description"] = ticket.Cut(u.Plain(), maxText)
	body["correlation_id"] = CorrelationID(u.Marker)
	body["correlation_display"] = "shdmc"
	resp, err := t.client.Do(ctx, http.MethodPost, "?"+fieldsParam, body)
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
		return ticket.Ticket{}, t.fail(action, resp)
	}
	var res struct {
		Result record `json:"result"`
	}
	if err := wire.Decode(action, resp, &res, t.client.Secrets...); err != nil {
		return ticket.Ticket{}, err
	}
	if res.Result.SysID == "" {
		return ticket.Ticket{}, fmt.Errorf("%s: %s: the answer names no sys_id", action, resp.StatusLine)
	}
	return t.ticket(res.Result), nil
}

// Comment implements ticket.Tracker.
func (t *tracker) Comment(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	return t.patch(ctx, tk, "add a note to", map[string]string{t.cfg.CommentField: ticket.Cut(u.Plain(), maxText)})
}

// Close implements ticket.Tracker: state Resolved with the close code and
// the update as close notes.
func (t *tracker) Close(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	return t.patch(ctx, tk, "resolve", map[string]string{"state": stateResolved, "close_code": t.cfg.CloseCode,
		"close_notes": ticket.Cut(u.Plain(), maxText)})
}

// Reopen implements ticket.Tracker: state In Progress with the update as
// a note.
func (t *tracker) Reopen(ctx context.Context, tk ticket.Ticket, u *ticket.Update) error {
	return t.patch(ctx, tk, "reopen", map[string]string{"state": stateInProgress, t.cfg.CommentField: ticket.Cut(u.Plain(), maxText)})
}

func (t *tracker) patch(ctx context.Context, tk ticket.Ticket, verb string, body map[string]string) error {
	action := verb + " ServiceNow incident " + tk.Label()
	resp, err := t.client.Do(ctx, http.MethodPatch, "/"+url.PathEscape(tk.ID)+"?"+fieldsParam, body)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.Status != http.StatusOK {
		return t.fail(action, resp)
	}
	return nil
}

// fail classifies an unsuccessful answer.
func (t *tracker) fail(action string, r *wire.Response) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	msg := ""
	if json.Unmarshal(r.Body, &e) == nil {
		msg = strings.TrimSuffix(e.Error.Message+": "+e.Error.Detail, ": ")
		msg = strings.TrimPrefix(msg, ": ")
	}
	return wire.APIError(action, r, t.now(), msg, wire.Hints{
		Unauthorized: "ServiceNow refused the username and password",
		Forbidden:    "the user " + t.cfg.Username + " may not write incidents: it needs the itil role or an ACL that allows it",
		NotFound:     "no such incident or table that the user can see",
	}, t.client.Secrets...)
}

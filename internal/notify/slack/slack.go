// Package slack is the Slack channel, in one of two modes.
//
// Incoming webhook (Config.WebhookURL): each notice is POSTed as
// render.SlackBlocks ({"text", "blocks"}); Slack answers 200 with the
// plain-text body "ok", or a 4xx with a plain-text error code
// (invalid_payload, no_text, channel_not_found, action_prohibited, …),
// which is permanent. The webhook URL is a secret and is named in errors
// only as scheme and host.
//
// Bot token (Config.BotToken + Config.Channel): each notice goes through
// chat.postMessage, and every update of one item is posted as a reply in
// the thread of the first message about it. The first message's ts is kept
// in a ThreadStore under the thread channel "slack:<Channel>" and the key
// "<tenant>/<source>/<item id>". Web API errors ({"ok":false,"error":…})
// are permanent except ratelimited, internal_error, fatal_error,
// service_unavailable and request_timeout. The token never appears in
// errors or receipts.
//
// In both modes 429 is retried after its Retry-After and 5xx with backoff.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// Defaults used when the Config leaves a field zero.
const (
	DefaultTimeout = 15 * time.Second
	DefaultBaseURL = "https://slack.com/api"
)

// Config configures one Slack channel: either WebhookURL, or BotToken
// and Channel.
type Config struct {
	// WebhookURL is an incoming webhook (https://hooks.slack.com/services/…).
	// It is a secret.
	WebhookURL string
	// BotToken is a bot token (xoxb-…) with chat:write. It is a secret.
	BotToken string
	// Channel is the channel ID (C…) the bot posts to.
	Channel string
	// BaseURL is the Web API base; "" means https://slack.com/api.
	BaseURL string
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
}

// ThreadStore keeps the Slack ts of the first message about an item; the
// store implements it.
type ThreadStore = notify.ThreadStore

// Slack is the Slack channel.
type Slack struct {
	cfg      Config
	client   *http.Client
	threads  ThreadStore
	now      func() time.Time
	target   string // the webhook URL or chat.postMessage
	redacted string
	secrets  []string
}

var _ notify.Notifier = (*Slack)(nil)

// New validates cfg and returns the channel. client may be nil (a default
// client); threads may be nil (bot messages are then not threaded); now may
// be nil (time.Now).
func New(cfg Config, client *http.Client, threads ThreadStore, now func() time.Time) (*Slack, error) {
	if now == nil {
		now = time.Now
	}
	s := &Slack{cfg: cfg, client: wire.Client(client), threads: threads, now: now, secrets: []string{cfg.WebhookURL, cfg.BotToken}}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("slack: negative timeout %s", cfg.Timeout)
	}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.WebhookURL != "" && cfg.BotToken != "":
		return nil, errors.New("slack: set either a webhook url or a bot token with a channel, not both")
	case cfg.WebhookURL != "":
		if cfg.Channel != "" {
			return nil, errors.New("slack: channel cannot be set with a webhook url (the webhook's channel is fixed when it is created)")
		}
		u, err := wire.ParseURL(cfg.WebhookURL)
		if err != nil {
			return nil, fmt.Errorf("slack webhook: %w", err)
		}
		s.target, s.redacted = cfg.WebhookURL, netsafe.URL(cfg.WebhookURL)
		if u.Scheme != "https" && !netsafe.IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("slack webhook %s: url must use https", s.redacted)
		}
	case cfg.BotToken != "":
		if strings.ContainsAny(cfg.BotToken, " \t\r\n") {
			return nil, errors.New("slack: bot token contains white space")
		}
		if cfg.Channel == "" {
			return nil, errors.New("slack: a bot token needs a channel (its ID, e.g. C0123456789)")
		}
		base := cfg.BaseURL
		if base == "" {
			base = DefaultBaseURL
		}
		u, err := wire.ParseURL(base)
		if err != nil {
			return nil, fmt.Errorf("slack base url: %w", err)
		}
		if u.Scheme != "https" && !netsafe.IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("slack base url %s: must use https", base)
		}
		s.target = strings.TrimSuffix(base, "/") + "/chat.postMessage"
		s.redacted = s.target
	default:
		return nil, errors.New("slack: a webhook url or a bot token with a channel is required")
	}
	return s, nil
}

// ThreadKey is the ThreadStore key of the item an event is about.
func ThreadKey(ev *model.Event) string {
	return ev.Tenant + "/" + string(ev.Source) + "/" + ev.ItemID
}

// Notify implements notify.Notifier.
func (s *Slack) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	if n == nil || n.Event == nil {
		return notify.Receipt{}, notify.Permanent(errors.New("render slack message: no event"))
	}
	body, err := render.SlackBlocks(n.Event, n.Render)
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("render slack message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if s.cfg.WebhookURL != "" {
		return s.webhook(ctx, body)
	}
	return s.postMessage(ctx, n.Event, body)
}

func (s *Slack) webhook(ctx context.Context, body []byte) (notify.Receipt, error) {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "User-Agent": {"shdmc"}}
	resp, err := wire.Post(ctx, s.client, s.target, s.redacted, h, body)
	if err != nil {
		return notify.Receipt{}, err
	}
	action := "post slack webhook to " + s.redacted
	if resp.Status == http.StatusOK {
		if strings.TrimSpace(string(resp.Body)) == "ok" {
			return notify.Receipt{Status: resp.StatusLine, Detail: "ok"}, nil
		}
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("%s: %s: unexpected answer %q", action, resp.StatusLine,
			wire.Excerpt(resp.Body, 200, s.secrets...)))
	}
	return notify.Receipt{}, wire.StatusError(action, resp, s.now(), s.secrets...)
}

// apiAnswer is a Web API answer.
type apiAnswer struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
	TS       string `json:"ts"`
	Channel  string `json:"channel"`
	Warning  string `json:"warning"`
	Metadata struct {
		Messages []string `json:"messages"`
	} `json:"response_metadata"`
}

// retryableAPIErrors are the chat.postMessage errors worth retrying.
var retryableAPIErrors = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

func (s *Slack) postMessage(ctx context.Context, ev *model.Event, blocks []byte) (notify.Receipt, error) {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(blocks, &msg); err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("render slack message: %w", err))
	}
	threadChan, key := "slack:"+s.cfg.Channel, ThreadKey(ev)
	var parent string
	if s.threads != nil {
		ref, err := s.threads.ThreadRef(ctx, threadChan, key)
		switch {
		case err == nil:
			parent = ref
		case errors.Is(err, store.ErrNotFound):
		default:
			return notify.Receipt{}, fmt.Errorf("look up slack thread of %s: %w", key, err)
		}
	}
	ans, resp, err := s.call(ctx, msg, parent)
	if err == nil && !ans.OK && ans.Error == "thread_not_found" && parent != "" {
		// The first message was deleted: start over at the top level.
		parent = ""
		ans, resp, err = s.call(ctx, msg, parent)
	}
	if err != nil {
		return notify.Receipt{}, err
	}
	action := "post slack message to channel " + s.cfg.Channel
	if !ans.OK {
		e := fmt.Errorf("%s: %s", action, netsafe.Secrets(ans.Error, s.secrets...))
		if len(ans.Metadata.Messages) > 0 {
			e = fmt.Errorf("%w (%s)", e, netsafe.Secrets(strings.Join(ans.Metadata.Messages, "; "), s.secrets...))
		}
		if retryableAPIErrors[ans.Error] {
			if d := wire.RetryAfterDelay(resp.Header.Get("Retry-After"), s.now()); d > 0 {
				return notify.Receipt{}, notify.RetryAfter(e, d)
			}
			return notify.Receipt{}, e
		}
		return notify.Receipt{}, notify.Permanent(e)
	}
	rc := notify.Receipt{Status: resp.StatusLine, Detail: "ts=" + ans.TS}
	if parent != "" {
		rc.Detail += " thread_ts=" + parent
	} else if s.threads != nil && ans.TS != "" {
		// The message is sent: a failure to remember its ts must not make
		// the dispatcher send it again, so it only shows in the receipt.
		if _, err := s.threads.SetThreadRef(ctx, threadChan, key, ans.TS); err != nil {
			rc.Detail += " (thread not stored: " + netsafe.Secrets(err.Error(), s.secrets...) + ")"
		}
	}
	return rc, nil
}

// call sends one chat.postMessage; err is a transport failure or an
// unsuccessful HTTP status, ans.OK tells the Web API result.
func (s *Slack) call(ctx context.Context, msg map[string]json.RawMessage, parent string) (apiAnswer, *wire.Response, error) {
	m := make(map[string]json.RawMessage, len(msg)+2)
	for k, v := range msg {
		m[k] = v
	}
	m["channel"], _ = json.Marshal(s.cfg.Channel)
	if parent != "" {
		m["thread_ts"], _ = json.Marshal(parent)
	} else {
		delete(m, "thread_ts")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return apiAnswer{}, nil, notify.Permanent(fmt.Errorf("encode slack message: %w", err))
	}
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "User-Agent": {"shdmc"},
		"Authorization": {"Bearer " + s.cfg.BotToken}}
	resp, err := wire.Post(ctx, s.client, s.target, s.redacted, h, body)
	if err != nil {
		return apiAnswer{}, nil, err
	}
	action := "post slack message to channel " + s.cfg.Channel
	if resp.Status != http.StatusOK {
		return apiAnswer{}, resp, wire.StatusError(action, resp, s.now(), s.secrets...)
	}
	var ans apiAnswer
	if err := json.Unmarshal(resp.Body, &ans); err != nil {
		return apiAnswer{}, resp, fmt.Errorf("%s: %s: answer is not JSON: %q", action, resp.StatusLine, wire.Excerpt(resp.Body, 120, s.secrets...))
	}
	return ans, resp, nil
}

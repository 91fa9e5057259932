// Package teams is the Microsoft Teams channel: each notice is POSTed as an
// Adaptive Card message envelope (render.AdaptiveCard) to a Workflows
// webhook ("When a Teams webhook request is received").
//
// Workflows answers 202 Accepted with an empty body and posts the card
// asynchronously, so an invalid card or a disabled flow is not reported
// back; 200 is accepted too. 429 is retried after its Retry-After, 408 and
// 5xx with backoff, other 4xx are permanent. Requests are paced to at most
// RatePerSecond per channel (Teams throttles above 4 per second).
//
// The retired Office 365 connector URLs (*.webhook.office.com,
// outlook.office.com/webhook) are rejected when the channel is created.
// The webhook URL carries its credential (the sig query parameter), so
// errors and receipts name it only as scheme and host.
package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
	"github.com/shdmc/shdmc/internal/render"
)

// Defaults used when the Config leaves a field zero.
const (
	DefaultTimeout       = 15 * time.Second
	DefaultRatePerSecond = 4
	// MaxMessageBytes is Teams' message size limit (28 KB).
	MaxMessageBytes = 28 * 1024
)

// Config configures one Teams channel.
type Config struct {
	// URL is the Workflows webhook trigger URL
	// (https://….environment.api.powerplatform.com/… or
	// https://prod-NN.<region>.logic.azure.com/…). It is a secret.
	URL string
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
	// RatePerSecond caps requests to this webhook; 0 means 4.
	RatePerSecond float64
}

// Teams is the Microsoft Teams Workflows webhook channel.
type Teams struct {
	cfg      Config
	client   *http.Client
	now      func() time.Time
	limiter  *rate.Limiter
	redacted string
}

var _ notify.Notifier = (*Teams)(nil)

// New validates cfg and returns the channel. client may be nil (a default
// client); now may be nil (time.Now).
func New(cfg Config, client *http.Client, now func() time.Time) (*Teams, error) {
	if cfg.URL == "" {
		return nil, errors.New("teams: url is required")
	}
	u, err := wire.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	red := netsafe.URL(cfg.URL)
	host := strings.ToLower(u.Hostname())
	if strings.HasSuffix(host, ".webhook.office.com") || host == "webhook.office.com" ||
		(host == "outlook.office.com" && strings.HasPrefix(strings.ToLower(u.Path), "/webhook")) {
		return nil, fmt.Errorf("teams %s: Office 365 connectors were retired; create a Workflows webhook: in Teams, "+
			"open the channel's Workflows, use the template \"Post to a channel when a webhook request is received\", "+
			"and configure its URL (…logic.azure.com or …environment.api.powerplatform.com)", red)
	}
	if u.Scheme != "https" && !netsafe.IsLoopback(host) {
		return nil, fmt.Errorf("teams %s: url must use https", red)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("teams %s: negative timeout %s", red, cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RatePerSecond < 0 {
		return nil, fmt.Errorf("teams %s: negative rate %g", red, cfg.RatePerSecond)
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = DefaultRatePerSecond
	}
	if now == nil {
		now = time.Now
	}
	return &Teams{cfg: cfg, client: wire.Client(client), now: now, redacted: red,
		limiter: rate.NewLimiter(rate.Limit(cfg.RatePerSecond), 1)}, nil
}

// Notify implements notify.Notifier.
func (t *Teams) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	if n == nil || n.Event == nil {
		return notify.Receipt{}, notify.Permanent(errors.New("render teams card: no event"))
	}
	body, err := render.AdaptiveCard(n.Event, n.Render)
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("render teams card: %w", err))
	}
	if len(body) > MaxMessageBytes {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("render teams card: %d bytes, over the %d-byte Teams limit", len(body), MaxMessageBytes))
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	if err := t.limiter.Wait(ctx); err != nil {
		return notify.Receipt{}, fmt.Errorf("wait for teams rate limit of %s: %w", t.redacted, err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"shdmc"}}
	resp, err := wire.Post(ctx, t.client, t.cfg.URL, t.redacted, h, body)
	if err != nil {
		return notify.Receipt{}, err
	}
	action := "post teams card to " + t.redacted
	switch resp.Status {
	case http.StatusAccepted:
		return notify.Receipt{Status: resp.StatusLine, Detail: wire.Excerpt(resp.Body, 200, t.cfg.URL)}, nil
	case http.StatusOK:
		// A connector-style relay reports failures as 200 with a text body.
		if ex := wire.Excerpt(resp.Body, 300, t.cfg.URL); strings.Contains(ex, "delivery failed") {
			err := errors.New(action + ": " + resp.StatusLine + ": " + ex)
			if strings.Contains(ex, "429") || strings.Contains(ex, "HTTP error 5") {
				return notify.Receipt{}, err
			}
			return notify.Receipt{}, notify.Permanent(err)
		}
		return notify.Receipt{Status: resp.StatusLine, Detail: wire.Excerpt(resp.Body, 200, t.cfg.URL)}, nil
	}
	return notify.Receipt{}, wire.StatusError(action, resp, t.now(), t.cfg.URL)
}

// Package webhook is the generic webhook channel: each notice is POSTed as
// JSON to a configured URL, optionally signed with HMAC-SHA256.
//
// # Body
//
// With Format "json" (the default) the body is
//
//	{"id": "<idempotency key>", "event": <model.Event>, "subject": "…", "text": "…", "notice": <render.Doc>}
//
// where subject and text are the plain-text rendering of the notice and
// notice is the document every format writes (render.Doc): headline, key
// facts and other fields with their keys, services, what changed, text
// blocks and links, all in the route's language and time zone. With
// Format "cloudevents" the same object is the data of a CloudEvents 1.0
// event in structured mode (Content-Type: application/cloudevents+json):
//
//	{"specversion": "1.0", "id": "<idempotency key>", "source": "shdmc/<tenant>",
//	 "type": "com.shdmc.<event type>", "subject": "<item id>", "time": "<detected at, RFC 3339>",
//	 "datacontenttype": "application/json", "data": {…the json body above…}}
//
// # Headers
//
// Every request carries X-Shdmc-Delivery: <idempotency key>. A delivery is
// sent at least once; a retry carries the same key (and the same id in the
// body), so a receiver that remembers the keys it has processed handles
// each notice exactly once. The key is built from item data (tenant,
// source, item ID, revision, route, channel); should it hold a control
// character (an item ID with a line break) or "%", those bytes are
// percent-encoded ("%0D%0A", "%25") in the header and the body alike, so a
// header can never be split and the key stays one line.
//
// # Signature
//
// When Secret is set, every request carries
//
//	X-Shdmc-Signature: t=<unix seconds>,v1=<hex>
//
// where <hex> is the lower-case hex encoding of
// HMAC-SHA256(key = Secret as UTF-8 bytes, message = "<t>" + "." + <raw request body bytes>).
// To verify, a receiver reads the raw body before parsing it, recomputes
// the HMAC over the decimal t, a full stop and those bytes, compares it
// with v1 in constant time (hmac.Equal), and rejects requests whose t is
// more than a few minutes from its own clock (replay protection). Each
// attempt is signed afresh, so a retry has a new t and signature but the
// same body and key.
//
// # Answers
//
// Any 2xx is success. 429 is retried after its Retry-After; 408, 5xx,
// timeouts and connection failures are retried with backoff; other 4xx
// and 3xx (redirects are not followed) are permanent. Errors and receipts
// name the URL only as scheme and host.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
	"github.com/shdmc/shdmc/internal/render"
)

// The request headers the channel sets.
const (
	HeaderDelivery  = "X-Shdmc-Delivery"
	HeaderSignature = "X-Shdmc-Signature"
)

// The body formats.
const (
	FormatJSON        = "json"
	FormatCloudEvents = "cloudevents"
)

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Config configures one webhook channel.
type Config struct {
	// URL is the endpoint (http or https). It is treated as a secret.
	URL string
	// Secret is the HMAC key; empty sends no signature.
	Secret string
	// Format is "json" (default) or "cloudevents".
	Format string
	// Headers are extra request headers (e.g. an Authorization); their
	// values are treated as secrets. They cannot replace Content-Type or
	// the X-Shdmc-* headers.
	Headers map[string]string
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Webhook is the generic webhook channel.
type Webhook struct {
	cfg      Config
	client   *http.Client
	now      func() time.Time
	redacted string
	header   http.Header
	secrets  []string
}

var _ notify.Notifier = (*Webhook)(nil)

// New validates cfg and returns the channel. client may be nil (a default
// client); now may be nil (time.Now).
func New(cfg Config, client *http.Client, now func() time.Time) (*Webhook, error) {
	if cfg.URL == "" {
		return nil, errors.New("webhook: url is required")
	}
	if _, err := wire.ParseURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	switch cfg.Format {
	case "":
		cfg.Format = FormatJSON
	case FormatJSON, FormatCloudEvents:
	default:
		return nil, fmt.Errorf("webhook %s: format %q: want json or cloudevents", netsafe.URL(cfg.URL), cfg.Format)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("webhook %s: negative timeout %s", netsafe.URL(cfg.URL), cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if now == nil {
		now = time.Now
	}
	w := &Webhook{cfg: cfg, client: wire.Client(client), now: now, redacted: netsafe.URL(cfg.URL), header: http.Header{}}
	w.secrets = append(w.secrets, cfg.URL, cfg.Secret)
	for k, v := range cfg.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("webhook %s: invalid header %q", w.redacted, k)
		}
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if ck == "Content-Type" || ck == "Host" || ck == "Content-Length" || strings.HasPrefix(ck, "X-Shdmc-") {
			return nil, fmt.Errorf("webhook %s: header %s is set by shdmc and cannot be configured", w.redacted, ck)
		}
		w.header.Set(ck, v)
		w.secrets = append(w.secrets, v)
	}
	return w, nil
}

// Payload is the JSON body (Format "json") and the CloudEvents data.
type Payload struct {
	ID      string       `json:"id"`
	Event   *model.Event `json:"event"`
	Subject string       `json:"subject"`
	Text    string       `json:"text"`
	// Notice is the localized document the subject and text are written
	// from.
	Notice *render.Doc `json:"notice,omitempty"`
}

// CloudEvent is a CloudEvents 1.0 event in structured mode
// (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md).
type CloudEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject,omitempty"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            Payload   `json:"data"`
}

// Body returns the request body and its content type for n.
func (w *Webhook) Body(n *notify.Notice) ([]byte, string, error) {
	if n == nil || n.Event == nil {
		return nil, "", notify.Permanent(errors.New("encode webhook body: no event"))
	}
	d := render.Compose(n.Event, n.Render)
	p := Payload{ID: headerSafe(key(n)), Event: n.Event, Subject: d.Subject, Text: render.Text(d), Notice: &d}
	var v any = p
	ctype := "application/json"
	if w.cfg.Format == FormatCloudEvents {
		t := n.Event.DetectedAt
		if t.IsZero() {
			t = w.now()
		}
		v = CloudEvent{SpecVersion: "1.0", ID: p.ID, Source: "shdmc/" + n.Event.Tenant,
			Type: "com.shdmc." + string(n.Event.Type), Subject: n.Event.ItemID, Time: t.UTC(),
			DataContentType: "application/json", Data: p}
		ctype = "application/cloudevents+json"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "", notify.Permanent(fmt.Errorf("encode webhook body: %w", err))
	}
	return b, ctype, nil
}

// key is the notice's idempotency key, or one made from the event for a
// test notice that has none.
func key(n *notify.Notice) string {
	if n.Key != "" {
		return n.Key
	}
	ev := n.Event
	return fmt.Sprintf("%s/%s/%s/%d/test", ev.Tenant, ev.Source, ev.ItemID, ev.Revision)
}

// headerSafe percent-encodes the control characters (and "%", so that
// distinct keys stay distinct) of a value built from item data, making it
// a valid one-line header value.
func headerSafe(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '%' }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Sign returns the X-Shdmc-Signature value for body at time t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Notify implements notify.Notifier.
func (w *Webhook) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	body, ctype, err := w.Body(n)
	if err != nil {
		return notify.Receipt{}, err
	}
	id := headerSafe(key(n))
	h := w.header.Clone()
	h.Set("Content-Type", ctype)
	h.Set("User-Agent", "shdmc")
	h.Set(HeaderDelivery, id)
	if w.cfg.Secret != "" {
		h.Set(HeaderSignature, Sign(w.cfg.Secret, w.now(), body))
	}
	for k, vs := range h {
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				// No retry can fix a header value: fail once, clearly.
				return notify.Receipt{}, notify.Permanent(fmt.Errorf("post webhook to %s: delivery %s: header %s holds a control character",
					w.redacted, id, k))
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	resp, err := wire.Post(ctx, w.client, w.cfg.URL, w.redacted, h, body)
	if err != nil {
		return notify.Receipt{}, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return notify.Receipt{}, wire.StatusError("post webhook to "+w.redacted, resp, w.now(), w.secrets...)
	}
	return notify.Receipt{Status: resp.StatusLine, Detail: wire.Excerpt(resp.Body, 200, w.secrets...)}, nil
}

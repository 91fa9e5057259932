// Package email is the SMTP channel: each notice is sent as a
// multipart/alternative message (plain text and sanitized HTML from
// render.HTML) through github.com/wneessen/go-mail, over STARTTLS, implicit
// TLS, or (on loopback only) plain SMTP, with optional AUTH PLAIN, LOGIN or
// XOAUTH2.
//
// # Japanese and other non-ASCII text
//
// The charset is UTF-8. The subject is an RFC 2047 encoded word ("B"
// encoding, split at character boundaries) and both bodies are base64, so
// no 8-bit data crosses the wire and Japanese mail clients decode it
// without guessing.
//
// # Threading
//
// Every notice about one item (tenant, source, item ID) lands in one
// thread. With h = the first 16 bytes of SHA-256("<tenant>/<source>/<item>")
// in hex:
//
//   - the first notice of an item (a new-item event at revision 1 or less)
//     has Message-ID <h.thread@shdmc>;
//   - every later notice has Message-ID <h.<revision>@shdmc> and
//     In-Reply-To and References <h.thread@shdmc>.
//
// A later notice therefore threads under the first even when it is the
// only one a reader received (clients group by References), and a resent
// delivery keeps its Message-ID, so mail systems can drop the duplicate.
// Message-IDs are hashes, so no item data reaches them. X-Shdmc-Key
// carries the delivery's idempotency key, with control characters and "%"
// percent-encoded as in the webhook channel's X-Shdmc-Delivery (an item ID
// with a line break stays one plain header line).
//
// # Errors
//
// SMTP 4xx replies (421, 450, 451, 452, 454, …), connection failures and
// timeouts are retryable; 5xx replies are permanent, an authentication
// failure (535 and other 5xx during AUTH) with a message that names the
// user but never the password. The receipt is the server's final reply to
// the message ("250 2.0.0 OK …").
package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
)

// The TLS modes.
const (
	TLSStartTLS = "starttls" // STARTTLS required (port 587 by default)
	TLSImplicit = "tls"      // TLS from the first byte (port 465 by default)
	TLSNone     = "none"     // plain SMTP, loopback hosts only (port 25 by default)
)

// The AUTH mechanisms.
const (
	AuthNone    = ""
	AuthPlain   = "plain"
	AuthLogin   = "login"
	AuthXOAUTH2 = "xoauth2" // Password holds the OAuth access token
)

// DefaultTimeout bounds one connection when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// HeaderKey carries the delivery's idempotency key.
const HeaderKey = "X-Shdmc-Key"

// Config configures one email channel.
type Config struct {
	Host string
	// Port; 0 means 587 (starttls), 465 (tls) or 25 (none).
	Port int
	// TLS is "starttls" (default), "tls" or "none".
	TLS string
	// Username and Password for AUTH; Password is a secret (an access token
	// for xoauth2).
	Username, Password string
	// Auth is "plain", "login", "xoauth2", or "" (plain when a Username is
	// set, no AUTH otherwise).
	Auth string
	// From is the sender address ("shdmc <shdmc@example.com>").
	From string
	// To and Cc are the recipients; To needs at least one address.
	To, Cc []string
	// HeloName is the EHLO name; "" lets go-mail pick the local host name.
	HeloName string
	// Timeout bounds the connection and every SMTP command; 0 means 30 s.
	Timeout time.Duration
	// InsecureSkipVerify disables certificate checks (tests only).
	InsecureSkipVerify bool
	// RootCAs replaces the system roots when set.
	RootCAs *x509.CertPool
}

// Email is the SMTP channel.
type Email struct {
	cfg  Config
	auth gomail.SMTPAuthType
	now  func() time.Time
}

var _ notify.Notifier = (*Email)(nil)

// New validates cfg and returns the channel; now may be nil (time.Now).
func New(cfg Config, now func() time.Time) (*Email, error) {
	if cfg.Host == "" {
		return nil, errors.New("email: host is required")
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !netsafe.IsLoopback(cfg.Host) {
			return nil, fmt.Errorf("email %s: tls none is allowed only for a loopback host; use starttls or tls", cfg.Host)
		}
	default:
		return nil, fmt.Errorf("email %s: tls %q: want starttls, tls or none", cfg.Host, cfg.TLS)
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[cfg.TLS]
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("email %s: port %d out of range", cfg.Host, cfg.Port)
	}
	e := &Email{cfg: cfg, now: now}
	if e.now == nil {
		e.now = time.Now
	}
	auth := cfg.Auth
	if auth == AuthNone && cfg.Username != "" {
		auth = AuthPlain
	}
	switch auth {
	case AuthNone:
		e.auth = gomail.SMTPAuthNoAuth
	case AuthPlain:
		e.auth = gomail.SMTPAuthPlain
	case AuthLogin:
		e.auth = gomail.SMTPAuthLogin
	case AuthXOAUTH2:
		e.auth = gomail.SMTPAuthXOAUTH2
	default:
		return nil, fmt.Errorf("email %s: auth %q: want plain, login, xoauth2 or empty", cfg.Host, cfg.Auth)
	}
	if auth != AuthNone && (cfg.Username == "" || cfg.Password == "") {
		return nil, fmt.Errorf("email %s: auth %s needs a username and a password", cfg.Host, auth)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email %s: from %q: %w", cfg.Host, cfg.From, err)
	}
	if len(cfg.To) == 0 {
		return nil, fmt.Errorf("email %s: at least one to address is required", cfg.Host)
	}
	for _, list := range [][]string{cfg.To, cfg.Cc} {
		for _, a := range list {
			if _, err := mail.ParseAddress(a); err != nil {
				return nil, fmt.Errorf("email %s: recipient %q: %w", cfg.Host, a, err)
			}
		}
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("email %s: negative timeout %s", cfg.Host, cfg.Timeout)
	}
	if e.cfg.Timeout == 0 {
		e.cfg.Timeout = DefaultTimeout
	}
	return e, nil
}

// ThreadID returns the Message-ID (without angle brackets) of the first
// notice about the item of ev; later notices refer to it.
func ThreadID(ev *model.Event) string { return itemHash(ev) + ".thread@shdmc" }

// MessageID returns the Message-ID (without angle brackets) of the notice
// of ev, and whether it replies to ThreadID(ev).
func MessageID(ev *model.Event) (id string, reply bool) {
	if ev.Revision <= 1 && (ev.Type == model.EventIssueNew || ev.Type == model.EventMessageNew) {
		return ThreadID(ev), false
	}
	return fmt.Sprintf("%s.%d@shdmc", itemHash(ev), ev.Revision), true
}

func itemHash(ev *model.Event) string {
	sum := sha256.Sum256([]byte(ev.Tenant + "/" + string(ev.Source) + "/" + ev.ItemID))
	return hex.EncodeToString(sum[:16])
}

// Message builds the message for n without sending it.
func (e *Email) Message(n *notify.Notice) (*gomail.Msg, error) {
	if n == nil || n.Event == nil {
		return nil, notify.Permanent(errors.New("build email: no event"))
	}
	subject, html, text := render.HTML(n.Event, n.Render)
	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingB64))
	if err := m.From(e.cfg.From); err != nil {
		return nil, notify.Permanent(fmt.Errorf("build email: from: %w", err))
	}
	if err := m.To(e.cfg.To...); err != nil {
		return nil, notify.Permanent(fmt.Errorf("build email: to: %w", err))
	}
	if len(e.cfg.Cc) > 0 {
		if err := m.Cc(e.cfg.Cc...); err != nil {
			return nil, notify.Permanent(fmt.Errorf("build email: cc: %w", err))
		}
	}
	m.Subject(subject)
	m.SetDateWithValue(e.now())
	id, reply := MessageID(n.Event)
	m.SetMessageIDWithValue(id)
	if reply {
		ref := "<" + ThreadID(n.Event) + ">"
		m.SetGenHeader(gomail.HeaderInReplyTo, ref)
		m.SetGenHeader(gomail.HeaderReferences, ref)
	}
	if n.Key != "" {
		m.SetGenHeader(HeaderKey, headerSafe(n.Key))
	}
	m.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}

// headerSafe percent-encodes the control characters (and "%", so that
// distinct keys stay distinct) of a value built from item data.
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

// Notify implements notify.Notifier.
func (e *Email) Notify(ctx context.Context, n *notify.Notice) (notify.Receipt, error) {
	m, err := e.Message(n)
	if err != nil {
		return notify.Receipt{}, err
	}
	c, err := e.client()
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("send email via %s: %w", e.addr(), err))
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, m); err != nil && !m.IsDelivered() {
		return notify.Receipt{}, e.classify(err)
	}
	// A failure after the message was accepted (QUIT) does not matter.
	return notify.Receipt{Status: "250 " + m.ServerResponse(), Detail: m.GetMessageID()}, nil
}

func (e *Email) addr() string { return net.JoinHostPort(e.cfg.Host, fmt.Sprint(e.cfg.Port)) }

// client returns a go-mail client for one send.
func (e *Email) client() (*gomail.Client, error) {
	tc := &tls.Config{ServerName: e.cfg.Host, RootCAs: e.cfg.RootCAs, MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: e.cfg.InsecureSkipVerify} // #nosec G402 -- tests only, documented
	opts := []gomail.Option{gomail.WithPort(e.cfg.Port), gomail.WithTimeout(e.cfg.Timeout), gomail.WithTLSConfig(tc)}
	switch e.cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if e.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(e.cfg.HeloName))
	}
	if e.auth != gomail.SMTPAuthNoAuth {
		opts = append(opts, gomail.WithSMTPAuth(e.auth), gomail.WithUsername(e.cfg.Username), gomail.WithPassword(e.cfg.Password))
	}
	return gomail.NewClient(e.cfg.Host, opts...)
}

// classify labels a send error retryable or permanent by its SMTP reply
// code and strips anything that could carry the password.
func (e *Email) classify(err error) error {
	where := "send email via " + e.addr()
	code := 0
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		code = se.ErrorCode()
	case errors.As(err, &te):
		code = te.Code
	}
	msg := err.Error()
	err = scrubbed{err, e.cfg.Password}
	authFailed := strings.Contains(msg, "SMTP AUTH failed") || code == 535 || code == 534 || code == 538
	switch {
	case authFailed && (code >= 500 || code == 0):
		// code 0: e.g. the server offers no mechanism we were told to use.
		return notify.Permanent(fmt.Errorf("%s: authentication as %q failed (check the username and password or token): %w", where, e.cfg.Username, err))
	case code >= 500:
		return notify.Permanent(fmt.Errorf("%s: %w", where, err))
	case code >= 400:
		return fmt.Errorf("%s: %w", where, err)
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return notify.Permanent(fmt.Errorf("%s: %w", where, err))
	}
	return fmt.Errorf("%s: %w", where, err)
}

// scrubbed hides the password should an inner error ever quote it.
type scrubbed struct {
	err      error
	password string
}

func (s scrubbed) Error() string {
	if s.password == "" {
		return s.err.Error()
	}
	return netsafe.Secrets(s.err.Error(), s.password)
}

func (s scrubbed) Unwrap() error {
	return s.err
}

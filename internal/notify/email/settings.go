package email

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/notify"
)

// Settings are the keys of an smtp channel entry: everything sits under
// smtp.
type Settings struct {
	// SMTP is the mail server, the sender and the recipients.
	SMTP SMTP `yaml:"smtp"`
}

// SMTP configures the mail server, the sender and the recipients.
type SMTP struct {
	// Host and Port of the mail server (port default 587, or 465 with tls).
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLS is starttls (default), tls (implicit, port 465) or none (only
	// to a loopback relay).
	TLS string `yaml:"tls"`
	// Auth is plain, login, xoauth2 or empty for none.
	Auth string `yaml:"auth"`
	// Username and Password (or PasswordFile) for Auth; for xoauth2 the
	// password is the OAuth access token.
	Username     string        `yaml:"username"`
	Password     config.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	// From is the sender address; To and Cc the recipients.
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	Cc   []string `yaml:"cc"`
}

var (
	_ config.ChannelSettings = (*Settings)(nil)
	_ config.M365Dependent   = (*Settings)(nil)
)

// Validate checks the server, TLS mode, authentication and addresses.
func (s *Settings) Validate() error {
	var errs config.FieldErrors
	add := func(key, format string, args ...any) {
		errs = append(errs, config.FieldError{Key: "smtp." + key, Msg: fmt.Sprintf(format, args...)})
	}
	m := &s.SMTP
	if m.Host == "" {
		add("host", "missing host")
	}
	if m.Port < 0 || m.Port > 65535 {
		add("port", "port %d is out of range", m.Port)
	}
	switch m.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if m.Host != "" && !netsafe.IsLoopback(m.Host) {
			add("tls", "tls: none sends the password and the mail in clear text; it is only allowed to a loopback relay")
		}
	default:
		add("tls", "%s", config.UnknownValue("tls", m.TLS, TLSStartTLS, TLSImplicit, TLSNone))
	}
	switch m.Auth {
	case AuthNone:
		if m.Username != "" || m.Password != "" {
			add("auth", "username/password given without auth (plain, login or xoauth2)")
		}
	case AuthPlain, AuthLogin, AuthXOAUTH2:
		if m.Username == "" {
			add("username", "auth %s needs username", m.Auth)
		}
		if m.Password == "" {
			errs = append(errs, config.FieldError{Key: "smtp.password", Related: []string{"smtp.password", "smtp.password_file"},
				Msg: fmt.Sprintf("auth %s needs password (or password_file)", m.Auth)})
		}
	default:
		add("auth", "%s", config.UnknownValue("auth", m.Auth, AuthPlain, AuthLogin, AuthXOAUTH2))
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		add("from", "invalid sender address %q", m.From)
	}
	if len(m.To) == 0 {
		add("to", "no recipients")
	}
	for i, a := range append(slices.Clone(m.To), m.Cc...) {
		if _, err := mail.ParseAddress(a); err != nil {
			key := fmt.Sprintf("to[%d]", i)
			if i >= len(m.To) {
				key = fmt.Sprintf("cc[%d]", i-len(m.To))
			}
			add(key, "invalid address %q", a)
		}
	}
	return errs.Err()
}

// DependsOnM365 reports whether the mail goes through Exchange Online
// (smtp.office365.com, smtp-mail.outlook.com,
// *.mail.protection.outlook.com), which may fail together with the
// Microsoft 365 service communications.
func (s *Settings) DependsOnM365() bool {
	h := strings.ToLower(strings.TrimSuffix(s.SMTP.Host, "."))
	return h == "smtp.office365.com" || h == "smtp-mail.outlook.com" || strings.HasSuffix(h, ".mail.protection.outlook.com")
}

// Type is the smtp channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name:        "smtp",
		NewSettings: func() config.ChannelSettings { return &Settings{} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			m := s.SMTP
			return New(Config{
				Host: m.Host, Port: m.Port, TLS: m.TLS, Auth: m.Auth, Username: m.Username, Password: m.Password.Reveal(),
				From: m.From, To: m.To, Cc: m.Cc, Timeout: time.Duration(ch.Timeout),
			}, env.Now)
		},
	}
}

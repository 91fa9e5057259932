package app

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/email"
	"github.com/shdmc/shdmc/internal/notify/slack"
	"github.com/shdmc/shdmc/internal/notify/teams"
	"github.com/shdmc/shdmc/internal/notify/webhook"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// channelFactory builds one channel type's notifier from its config.
type channelFactory func(c config.Channel, env channelEnv) (notify.Notifier, error)

// channelEnv is what channels may need from the process.
type channelEnv struct {
	stdout  io.Writer
	render  render.Options // the channel's time zone and format
	http    *http.Client
	threads slack.ThreadStore
	now     func() time.Time
}

// channelFactories registers every channel type once.
var channelFactories = map[string]channelFactory{
	config.ChannelStdout: func(c config.Channel, env channelEnv) (notify.Notifier, error) {
		if c.Format == "json" {
			return notify.NewJSONWriter(env.stdout, env.render), nil
		}
		return notify.NewWriter(env.stdout, env.render), nil
	},
	config.ChannelFile: func(c config.Channel, env channelEnv) (notify.Notifier, error) {
		return notify.NewFile(c.Path, env.render), nil
	},
	config.ChannelSMTP: func(c config.Channel, env channelEnv) (notify.Notifier, error) {
		m := c.SMTP
		return email.New(email.Config{
			Host: m.Host, Port: m.Port, TLS: m.TLS, Auth: m.Auth, Username: m.Username, Password: m.Password.Reveal(),
			From: m.From, To: m.To, Cc: m.Cc, Timeout: time.Duration(c.Timeout),
		}, env.now)
	},
	config.ChannelTeams: func(c config.Channel, env channelEnv) (notify.Notifier, error) {
		return teams.New(teams.Config{URL: c.URL.Reveal(), Timeout: time.Duration(c.Timeout), RatePerSecond: float64(c.Rate)}, env.http, env.now)
	},
	config.ChannelSlack: func(c config.Channel, env channelEnv) (notify.Notifier, error) {
		return slack.New(slack.Config{WebhookURL: c.URL.Reveal(), BotToken: c.BotToken.Reveal(), Channel: c.SlackChannel,
			Timeout: time.Duration(c.Timeout)}, env.http, env.threads, env.now)
	},
	config.ChannelWebhook: func(c config.Channel, env channelEnv) (notify.Notifier, error) {
		return webhook.New(webhook.Config{URL: c.URL.Reveal(), Secret: c.Secret.Reveal(), Format: c.Format,
			Timeout: time.Duration(c.Timeout)}, env.http, env.now)
	},
}

// buildChannels creates the notifiers named in config; with none
// configured, notices go to stdout.
func buildChannels(cfg *config.Config, stdout io.Writer, st store.Store, now func() time.Time) (map[string]notify.Notifier, []string, map[string]*time.Location, error) {
	if stdout == nil {
		stdout = os.Stdout
	}
	chans := cfg.Channels
	if len(chans) == 0 {
		chans = []config.Channel{{Name: "stdout", Type: config.ChannelStdout, Format: "text"}}
	}
	hc := &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		// A webhook that redirects is misconfigured; following it could
		// send the notice (and its signature) elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	m := make(map[string]notify.Notifier, len(chans))
	locs := make(map[string]*time.Location, len(chans))
	names := make([]string, 0, len(chans))
	for _, c := range chans {
		loc := cfg.Location()
		if c.TimeZone != "" {
			l, err := time.LoadLocation(c.TimeZone)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("channel %s: time zone: %w", c.Name, err)
			}
			loc = l
		}
		locs[c.Name] = loc
		ro := render.Options{Format: render.FormatText, Location: loc}
		if c.Format == "markdown" {
			ro.Format = render.FormatMarkdown
		}
		f, ok := channelFactories[c.Type]
		if !ok {
			return nil, nil, nil, fmt.Errorf("channel %s: unknown type %q", c.Name, c.Type)
		}
		n, err := f(c, channelEnv{stdout: stdout, render: ro, http: hc, threads: st, now: now})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("channel %s: %w", c.Name, err)
		}
		m[c.Name] = n
		names = append(names, c.Name)
	}
	return m, names, locs, nil
}

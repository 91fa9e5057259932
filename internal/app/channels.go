package app

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/channels"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// buildChannels creates the notifiers named in config through the channel
// registry; with none configured, notices go to stdout.
func buildChannels(cfg *config.Config, stdout io.Writer, st store.Store, now func() time.Time) (map[string]notify.Notifier, []string, map[string]*time.Location, error) {
	if stdout == nil {
		stdout = os.Stdout
	}
	chans := cfg.Channels
	if len(chans) == 0 {
		chans = []config.Channel{{Name: "stdout", Type: "stdout"}}
	}
	hc := &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		// A webhook that redirects is misconfigured; following it could
		// send the notice (and its signature) elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	reg := channels.Default()
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
		env := notify.Env{Stdout: stdout, Render: render.Options{Format: render.FormatText, Location: loc}, HTTP: hc, Threads: st, Now: now}
		n, err := reg.New(c, env)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("channel %s: %w", c.Name, err)
		}
		m[c.Name] = n
		names = append(names, c.Name)
	}
	return m, names, locs, nil
}

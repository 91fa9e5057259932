package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/netsafe"
)

// Public status polling modes (PublicStatus.Poll).
const (
	PublicStatusFailing = "failing" // only while Graph fails for some tenant (default)
	PublicStatusAlways  = "always"
	PublicStatusNever   = "never"
)

// Default public status URLs. None of them is documented by Microsoft; see
// internal/source/publicstatus.
const (
	DefaultM365StatusURL  = "https://status.cloud.microsoft/api/posts/m365Consumer"
	DefaultM365FeedURL    = "https://status.cloud.microsoft/api/feed/mac"
	DefaultAzureStatusURL = "https://azure.status.microsoft/en-us/status/feed/"
)

// Outage configures how shdmc behaves while a source fails.
type Outage struct {
	// Failures in a row after which a source is announced unavailable
	// (default 3).
	Failures int `yaml:"failures"`
	// After is how long a source may fail before it is announced
	// unavailable even with fewer failures (default 5m).
	After Duration `yaml:"after"`
	// PublicStatus polls Microsoft's public status pages.
	PublicStatus PublicStatus `yaml:"public_status"`
	// Heartbeat calls a URL after every successful cycle.
	Heartbeat Heartbeat `yaml:"heartbeat"`
}

// PublicStatus configures the Microsoft 365 and Azure public status pages,
// polled as sources of their own.
type PublicStatus struct {
	// Poll is failing (default: only while Graph fails for some tenant),
	// always or never.
	Poll string `yaml:"poll"`
	// Interval between polls (default 5m, at least 1m).
	Interval Duration `yaml:"interval"`
	// M365URL is the JSON posts endpoint of status.cloud.microsoft; empty
	// turns it off.
	M365URL string `yaml:"m365_url"`
	// M365FeedURL is the RSS feed of the Microsoft 365 admin center
	// status; empty turns it off.
	M365FeedURL string `yaml:"m365_feed_url"`
	// AzureURL is the Azure status RSS feed; empty turns it off.
	AzureURL string `yaml:"azure_url"`
}

// Heartbeat is a dead man's switch: after every successful cycle shdmc
// calls URL, so that an outside monitor (healthchecks.io and the like)
// notices when shdmc stops.
type Heartbeat struct {
	// URL is called; it usually holds a token, so it is a Secret (use
	// ${NAME}). Empty turns the heartbeat off.
	URL Secret `yaml:"url"`
	// Method is GET (default) or POST.
	Method string `yaml:"method"`
	// Timeout bounds one call (default 10s).
	Timeout Duration `yaml:"timeout"`
}

func defaultOutage() Outage {
	return Outage{
		Failures: 3,
		After:    Duration(5 * time.Minute),
		PublicStatus: PublicStatus{
			Poll:        PublicStatusFailing,
			Interval:    Duration(5 * time.Minute),
			M365URL:     DefaultM365StatusURL,
			M365FeedURL: DefaultM365FeedURL,
			AzureURL:    DefaultAzureStatusURL,
		},
		Heartbeat: Heartbeat{Method: "GET", Timeout: Duration(10 * time.Second)},
	}
}

// outage validates the outage block.
func (v *validator) outage() {
	h := &v.c.Outage
	if h.Failures < 1 {
		v.errf("outage.failures", "must be at least 1, got %d", h.Failures)
	}
	if h.After <= 0 {
		v.errf("outage.after", "must be positive, got %s", h.After)
	}
	p := &h.PublicStatus
	v.oneOf("outage.public_status.poll", "mode", p.Poll, PublicStatusFailing, PublicStatusAlways, PublicStatusNever)
	if p.Interval < Duration(time.Minute) {
		v.errf("outage.public_status.interval", "%s is below the minimum of 1m", p.Interval)
	}
	for key, u := range map[string]string{"m365_url": p.M365URL, "m365_feed_url": p.M365FeedURL, "azure_url": p.AzureURL} {
		if u != "" {
			if err := checkHTTPURL(u); err != nil {
				v.errf("outage.public_status."+key, "%v", err)
			}
		}
	}
	hb := &h.Heartbeat
	if hb.URL != "" {
		// The URL is a secret: name its problem, never its value.
		if checkHTTPURL(hb.URL.Reveal()) != nil {
			v.errf("outage.heartbeat.url", "must be an https URL (http only for a loopback host)")
		}
	}
	if !slices.Contains([]string{"GET", "POST"}, strings.ToUpper(hb.Method)) {
		v.errf("outage.heartbeat.method", "%s", UnknownValue("method", hb.Method, "GET", "POST"))
	}
	if hb.Timeout <= 0 {
		v.errf("outage.heartbeat.timeout", "must be positive, got %s", hb.Timeout)
	}
}

// checkHTTPURL accepts https URLs, and http ones to a loopback host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid URL %q", s)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && netsafe.IsLoopback(u.Hostname())) {
		return fmt.Errorf("URL %q must be https (http only for a loopback host)", s)
	}
	return nil
}

// SourceEvents names the event types of source health, for routes.
var sourceEvents = []string{"source.down", "source.restored"}

// RoutesSourceEvents reports whether some route names source health events
// (match.events source.down or source.restored, or match.sources graph):
// then those routes alone carry them. Otherwise they go to
// SourceDownChannels.
func (c *Config) RoutesSourceEvents() bool {
	for _, r := range c.Routes {
		if carriesSourceEvents(r) {
			return true
		}
	}
	return false
}

func carriesSourceEvents(r Route) bool {
	for _, e := range r.Match.Events {
		if slices.Contains(sourceEvents, strings.ToLower(strings.TrimSpace(e))) {
			return true
		}
	}
	for _, s := range r.Match.Sources {
		if strings.EqualFold(strings.TrimSpace(s), "graph") {
			return true
		}
	}
	return false
}

// SourceDownChannels returns the channels that receive "source
// unavailable" notices when no route names them: the channels marked
// independent, or, when none is, every channel that does not depend on
// Microsoft 365.
func (c *Config) SourceDownChannels() []string {
	var marked, free []string
	for i := range c.Channels {
		ch := &c.Channels[i]
		if ch.Independent {
			marked = append(marked, ch.Name)
		}
		if !ch.DependsOnM365() {
			free = append(free, ch.Name)
		}
	}
	if len(marked) > 0 {
		return marked
	}
	return free
}

// Warnings returns problems that do not stop shdmc but that a person
// should know of, each as "file:line: key: problem": keys read under an
// old name, route match values Microsoft Graph never sends, routes no
// event can match, and "source unavailable" notices that would travel
// only through Microsoft 365. `shdmc config validate` prints them (and
// fails on them with --strict); `shdmc run` and `check` log them.
func (c *Config) Warnings() []string {
	out := slices.Clone(c.deprecated)
	var ws Errors
	for _, p := range c.validate() {
		if p.Warning {
			ws = append(ws, p.Error)
		}
	}
	for _, w := range ws.sorted() {
		out = append(out, w.Error())
	}
	return append(out, c.sourceDownWarnings()...)
}

// sourceDownWarnings warns when "source unavailable" notices could only
// travel through Microsoft 365, which may be failing at the time.
func (c *Config) sourceDownWarnings() []string {
	var out []string
	byName := map[string]*Channel{}
	for i := range c.Channels {
		byName[c.Channels[i].Name] = &c.Channels[i]
	}
	if len(c.Channels) == 0 || len(c.Tenants) == 0 {
		return out
	}
	at := func(key, msg string) string {
		e := Error{File: c.Path, Key: key, Msg: msg}
		if p, ok := c.pos[key]; ok {
			e.Line, e.Column = p.line, p.col
		}
		return e.Error()
	}
	const tail = "; when Microsoft 365 fails, the notice that it is failing may not arrive. " +
		"Add a channel that does not depend on it (Slack, a webhook, SMTP elsewhere) and mark it independent: true"
	if c.RoutesSourceEvents() {
		var via []string
		ok := false
		for _, r := range c.Routes {
			if !carriesSourceEvents(r) {
				continue
			}
			names := append(slices.Clone(r.Channels), r.Failover.Channel)
			for _, n := range names {
				if ch := byName[n]; ch != nil {
					via = append(via, n)
					ok = ok || !ch.DependsOnM365()
				}
			}
		}
		if !ok {
			out = append(out, at("routes", fmt.Sprintf("every route that carries source.down notices goes through channels that depend on Microsoft 365 (%s)%s",
				strings.Join(slices.Compact(via), ", "), tail)))
		}
		return out
	}
	if len(c.SourceDownChannels()) == 0 {
		var names []string
		for _, ch := range c.Channels {
			names = append(names, ch.Name)
		}
		out = append(out, at("channels", fmt.Sprintf("source.down notices can only go through channels that depend on Microsoft 365 (%s)%s",
			strings.Join(names, ", "), tail)))
	}
	return out
}

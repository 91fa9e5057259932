package route

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
)

// Policy is how a route delivers, compiled once from its config: nothing
// is parsed or loaded per delivery.
type Policy struct {
	Name     string
	Channels []string
	// Failover is the channel used once a primary channel has been
	// failing for FailoverAfter; "" for none.
	Failover      string
	FailoverAfter time.Duration
	// Language is the reader's language, lower case; "" or "en" is
	// Microsoft's own English.
	Language string
	// Mode is how a translation is shown (bilingual, translated,
	// side-by-side); "" for the renderer's default.
	Mode string
	// Template is "full" or "short".
	Template string
	// Location is the route's time zone; nil when the route names none
	// (the channel's, else the global one applies).
	Location *time.Location
	// GroupTenants announces a Message Center post once for every tenant
	// that has it.
	GroupTenants bool

	digest *digest // nil: deliver at once
	quiet  *quiet  // nil: no quiet hours
}

// digest is a compiled digest schedule.
type digest struct {
	weekly  bool
	weekday time.Weekday
	at      int // minutes after midnight
}

// quiet is a compiled daily quiet window.
type quiet struct {
	from, to int // minutes after midnight; from > to spans midnight
	urgent   []string
}

// defaultUrgent is what quiet hours let through when a route lists nothing.
var defaultUrgent = []string{string(model.StatusServiceInterruption), string(model.SeverityCritical), string(model.EventSourceDown)}

// compilePolicy compiles the delivery settings of rc.
func compilePolicy(rc config.Route) (*Policy, error) {
	p := &Policy{Name: rc.Name, Channels: slices.Clone(rc.Channels), Failover: rc.Failover.Channel,
		FailoverAfter: time.Duration(rc.Failover.After), Language: strings.ToLower(rc.Language), Mode: rc.Mode,
		Template: rc.Template, GroupTenants: rc.GroupTenants}
	if rc.TimeZone != "" {
		loc, err := time.LoadLocation(rc.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("route %s: time_zone: %w", rc.Name, err)
		}
		p.Location = loc
	}
	if rc.Delivery == "digest" {
		d := &digest{weekly: rc.Digest.Every == "weekly", weekday: time.Monday, at: 8 * 60}
		if rc.Digest.At != "" {
			m, err := config.ParseClock(rc.Digest.At)
			if err != nil {
				return nil, fmt.Errorf("route %s: digest.at: %w", rc.Name, err)
			}
			d.at = m
		}
		if rc.Digest.Weekday != "" {
			w, err := config.ParseWeekday(rc.Digest.Weekday)
			if err != nil {
				return nil, fmt.Errorf("route %s: digest.weekday: %w", rc.Name, err)
			}
			d.weekday = w
		}
		p.digest = d
	}
	if q := rc.QuietHours; q.From != "" {
		from, err1 := config.ParseClock(q.From)
		to, err2 := config.ParseClock(q.To)
		if err := cmpErr(err1, err2); err != nil {
			return nil, fmt.Errorf("route %s: quiet_hours: %w", rc.Name, err)
		}
		if from != to {
			urgent := q.Urgent
			if len(urgent) == 0 {
				urgent = defaultUrgent
			}
			p.quiet = &quiet{from: from, to: to, urgent: urgent}
		}
	}
	return p, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Digest reports whether the route sends digests instead of single notices.
func (p *Policy) Digest() bool { return p != nil && p.digest != nil }

// DigestEvery is "daily" or "weekly".
func (p *Policy) DigestEvery() string {
	if p.Digest() && p.digest.weekly {
		return "weekly"
	}
	return "daily"
}

// NextDigest is the route's first digest time strictly after t: daily at
// its time (default 08:00), or weekly on its weekday (default Monday), in
// loc.
func (p *Policy) NextDigest(t time.Time, loc *time.Location) time.Time {
	d := digest{weekday: time.Monday, at: 8 * 60}
	if p.Digest() {
		d = *p.digest
	}
	lt := t.In(loc)
	for i := 0; i <= 8; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, d.at/60, d.at%60, 0, 0, loc)
		if !day.After(t) || (d.weekly && day.Weekday() != d.weekday) {
			continue
		}
		return day
	}
	return t // unreachable: a week always has the weekday
}

// QuietUntil reports whether now falls in the route's daily quiet window
// (in loc) and when that window ends. A window whose start is after its
// end spans midnight.
func (p *Policy) QuietUntil(now time.Time, loc *time.Location) (time.Time, bool) {
	if p == nil || p.quiet == nil {
		return time.Time{}, false
	}
	from, to := p.quiet.from, p.quiet.to
	lt := now.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	endOn := func(dayOffset int) time.Time {
		return time.Date(lt.Year(), lt.Month(), lt.Day()+dayOffset, to/60, to%60, 0, 0, loc)
	}
	switch {
	case from < to && m >= from && m < to:
		return endOn(0), true
	case from > to && m >= from:
		return endOn(1), true
	case from > to && m < to:
		return endOn(0), true
	}
	return time.Time{}, false
}

// Urgent reports whether an event passes the route's quiet hours: its
// issue or service status, its message severity or its event type is
// listed as urgent.
func (p *Policy) Urgent(ev *model.Event) bool {
	list := defaultUrgent
	if p != nil && p.quiet != nil {
		list = p.quiet.urgent
	}
	has := func(v string) bool {
		return v != "" && slices.ContainsFunc(list, func(u string) bool { return strings.EqualFold(u, v) })
	}
	switch {
	case has(string(ev.Type)):
		return true
	case ev.Issue != nil:
		return has(string(ev.Issue.Status))
	case ev.Message != nil:
		return has(string(ev.Message.Severity))
	case ev.Service != nil:
		return has(string(ev.Service.Status))
	}
	return false
}

// Translated reports whether the route's reader needs a language other
// than Microsoft's English.
func (p *Policy) Translated() bool {
	return p != nil && p.Language != "" && p.Language != SourceLanguage
}

// SourceLanguage is the language Microsoft writes in.
const SourceLanguage = "en"

// FailoverFor returns the channel to try when channel fails: the route's
// failover channel, or "" when there is none or it is channel itself.
func (p *Policy) FailoverFor(channel string) string {
	if p == nil || p.Failover == channel {
		return ""
	}
	return p.Failover
}

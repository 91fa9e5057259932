package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// defaultUrgent is what quiet hours let through when a route lists nothing.
var defaultUrgent = []string{string(model.StatusServiceInterruption), string(model.SeverityCritical), "source.down"}

// hold applies a route's digest schedule and quiet hours to a claimed
// delivery.
func (a *App) hold(dl *store.Delivery, now time.Time) notify.Hold {
	r, ok := a.router.Route(dl.Route)
	if !ok {
		return notify.Hold{}
	}
	if r.GroupTenants && dl.Event.Message != nil && !strings.HasPrefix(dl.Key, groupPrefix) {
		// Announced by the group delivery (which then meets the quiet
		// hours and digest schedule below like any other).
		return notify.Hold{Group: groupKey(dl), GroupAt: dl.CreatedAt.Add(a.groupWindow)}
	}
	loc := a.cfg.Location()
	if r.TimeZone != "" {
		if l, err := time.LoadLocation(r.TimeZone); err == nil {
			loc = l
		}
	}
	if r.Delivery == "digest" {
		due := nextDigest(dl.CreatedAt, r.Digest, loc)
		if now.Before(due) {
			return notify.Hold{Until: due, Reason: "held for the " + digestEvery(r.Digest) + " digest of " + render.FormatTime(due, loc)}
		}
		return notify.Hold{Digest: true}
	}
	if r.QuietHours.From != "" && !urgent(&dl.Event, r.QuietHours.Urgent) {
		if end, in := quietUntil(now, r.QuietHours, loc); in {
			return notify.Hold{Until: end, Reason: "held for quiet hours until " + render.FormatTime(end, loc)}
		}
	}
	return notify.Hold{}
}

// defaultGroupWindow is how long the first delivery of a post on a
// group_tenants route waits for the other tenants: the polls of one cycle
// are spread over 30 s at start and drift by the ±10 % jitter.
const defaultGroupWindow = 2 * time.Minute

// groupPrefix starts the idempotency key of a group delivery.
const groupPrefix = "group/"

// groupKey is the key of the group delivery that announces dl's Message
// Center post revision for every tenant: route, channel, item, event type
// and content hash (the same text in every tenant gives the same hash; the
// type tells a post's removal from its arrival with the same text).
func groupKey(dl *store.Delivery) string {
	return groupPrefix + dl.Route + "/" + dl.Channel + "/" + dl.Event.ItemID + "/" + string(dl.Event.Type) + "/" +
		fingerprint.Message(dl.Event.Message)
}

// alsoIn lists the other tenants whose same post revision (same event
// type and content hash) the route routeName announces with ev: the tenants whose events
// for the item carry the same content and match the route, sorted.
func (a *App) alsoIn(ctx context.Context, routeName string, ev *model.Event) ([]string, error) {
	if ev.Message == nil {
		return nil, nil
	}
	hash := fingerprint.Message(ev.Message)
	evs, err := a.st.Events(ctx, store.EventQuery{ItemID: ev.ItemID})
	if err != nil {
		return nil, fmt.Errorf("list the tenants of %s: %w", ev.ItemID, err)
	}
	seen := map[string]bool{ev.Tenant: true}
	var out []string
	for i := range evs {
		e := &evs[i]
		if seen[e.Tenant] || e.Source != ev.Source || e.Type != ev.Type || e.Message == nil || fingerprint.Message(e.Message) != hash {
			continue
		}
		if !slices.ContainsFunc(a.router.Match(e), func(t route.Target) bool { return t.Route == routeName }) {
			continue
		}
		seen[e.Tenant] = true
		out = append(out, e.Tenant)
	}
	slices.Sort(out)
	return out, nil
}

func digestEvery(d config.Digest) string {
	if d.Every == "weekly" {
		return "weekly"
	}
	return "daily"
}

// nextDigest is the first digest time strictly after t: daily at d.At
// (default 08:00), or weekly on d.Weekday (default Monday) at d.At, in loc.
func nextDigest(t time.Time, d config.Digest, loc *time.Location) time.Time {
	at := 8 * 60
	if d.At != "" {
		if m, err := config.ParseClock(d.At); err == nil {
			at = m
		}
	}
	wd := time.Monday
	if d.Weekday != "" {
		if w, err := config.ParseWeekday(d.Weekday); err == nil {
			wd = w
		}
	}
	lt := t.In(loc)
	for i := 0; i <= 8; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, at/60, at%60, 0, 0, loc)
		if !day.After(t) || (d.Every == "weekly" && day.Weekday() != wd) {
			continue
		}
		return day
	}
	return t // unreachable: a week always has the weekday
}

// quietUntil reports whether now falls in the daily quiet window q (in
// loc) and when that window ends. A window whose From is after its To
// spans midnight.
func quietUntil(now time.Time, q config.QuietHours, loc *time.Location) (time.Time, bool) {
	from, err1 := config.ParseClock(q.From)
	to, err2 := config.ParseClock(q.To)
	if err1 != nil || err2 != nil || from == to {
		return time.Time{}, false
	}
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

// urgent reports whether an event passes quiet hours: its issue or
// service status, its message severity or its event type is listed.
func urgent(ev *model.Event, list []string) bool {
	if len(list) == 0 {
		list = defaultUrgent
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

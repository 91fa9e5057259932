package app

import (
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
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

package render

import (
	"strconv"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// isSourceEvent reports whether ev is about the health of a source
// (source.down, source.restored) rather than about an item.
func isSourceEvent(ev *model.Event) bool {
	return ev.Type == model.EventSourceDown || ev.Type == model.EventSourceRestored
}

// composeSource renders a "source unavailable" or "source restored"
// notice. The failure is in the event's changes: ChangeFailure (class,
// code, error text) and ChangeStart (when the failures began) for down,
// ChangeOutage (since, class, seconds) for restored.
func composeSource(ev *model.Event, o Options, l *tr) Doc {
	src := l.name("health.source", ev.ItemID)
	var d Doc
	var class, code, detail, since string
	var outage time.Duration
	for _, c := range ev.Changes {
		switch c.Kind {
		case model.ChangeFailure:
			class, code, detail = c.Field, c.From, c.To
		case model.ChangeStart:
			since = c.To
		case model.ChangeOutage:
			since, class = c.Field, c.From
			if n, err := strconv.ParseInt(c.To, 10, 64); err == nil {
				outage = time.Duration(n) * time.Second
			}
		}
	}
	reason := l.name("health.failure", class)
	tenant := tenantName(ev, o)
	if ev.Type == model.EventSourceDown {
		d.Subject = join(" | ", "["+l.t("health.down")+"] "+src, tenant, reason)
		d.Headline = Headline{Badge: l.t("health.down"), ID: src, Service: tenant, Title: reason, Tone: ToneAttention}
		d.fact("status", l.t("label.status"), l.t("health.down"))
		d.fact("source", l.t("health.label.source"), src)
		if ev.Tenant != "" {
			d.fact("tenant", l.t("label.tenant"), tenant)
		}
		d.fact("failure", l.t("health.label.failure"), reason)
		if code != "" {
			d.add("code", l.t("health.label.code"), code)
		}
		d.add("since", l.t("health.label.since"), l.timeText(since))
		d.add("detected", l.t("label.detected"), l.time(ev.DetectedAt))
		if detail != "" {
			d.Blocks = append(d.Blocks, Block{Title: l.t("health.label.error"), Text: detail})
		}
		d.Note = l.t("health.note.down")
	} else {
		dur := l.duration(outage)
		after := l.f("health.after", "duration", dur)
		d.Subject = join(" | ", "["+l.t("health.restored")+"] "+src, tenant, after)
		d.Headline = Headline{Badge: l.t("health.restored"), ID: src, Service: tenant, Title: after, Tone: ToneGood}
		d.fact("status", l.t("label.status"), l.t("health.restored"))
		d.fact("source", l.t("health.label.source"), src)
		if ev.Tenant != "" {
			d.fact("tenant", l.t("label.tenant"), tenant)
		}
		d.fact("outage", l.t("health.label.outage"), dur)
		d.add("since", l.t("health.label.since"), l.timeText(since))
		d.add("until", l.t("health.label.until"), l.time(ev.DetectedAt))
		if class != "" {
			d.add("failure", l.t("health.label.failure"), reason)
		}
		d.Note = l.t("health.note.restored")
	}
	return d
}

// duration shows an outage's length exactly, to the second: "4 s",
// "1 min 30 s", "1 h 12 min" (seconds only when there are any).
func (l *tr) duration(d time.Duration) string {
	sec := int64(d / time.Second)
	h, m, s := strconv.FormatInt(sec/3600, 10), strconv.FormatInt(sec/60%60, 10), strconv.FormatInt(sec%60, 10)
	switch {
	case sec >= 3600 && sec%60 != 0:
		return l.f("health.duration.hms", "h", h, "m", m, "s", s)
	case sec >= 3600:
		return l.f("health.duration.hm", "h", h, "m", m)
	case sec >= 60 && sec%60 != 0:
		return l.f("health.duration.ms", "m", m, "s", s)
	case sec >= 60:
		return l.f("health.duration.m", "m", m)
	}
	return l.f("health.duration.s", "s", s)
}

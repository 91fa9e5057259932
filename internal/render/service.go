package render

import (
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// serviceName is the display name of a health overview, localized.
func (l *tr) serviceName(s *model.ServiceHealth) string {
	name := s.Service
	if name == "" {
		name = s.ID
	}
	return l.name("service", name)
}

func composeService(ev *model.Event, s *model.ServiceHealth, o Options, l *tr) Doc {
	name := l.serviceName(s)
	badge := l.badge(s.Status)
	d := Doc{Subject: "[" + badge + "] " + name}
	d.Headline = Headline{Badge: badge, ID: s.ID, Service: name, Tone: serviceTone(s.Status)}
	if d.Headline.ID == "" {
		d.Headline.ID = ev.ItemID
	}
	if d.Headline.ID == name {
		d.Headline.Service = ""
	}
	d.fact("status", l.t("label.status"), l.statusSince(ev, s.Status))
	d.fact("service", l.t("label.service"), name)
	if ev.Tenant != "" {
		d.fact("tenant", l.t("label.tenant"), tenantName(ev, o))
	}
	if s.ID != "" && s.ID != s.Service && s.ID != name {
		d.add("serviceID", l.t("label.serviceID"), s.ID)
	}
	d.add("detected", l.t("label.detected"), l.time(ev.DetectedAt))
	d.Changes = l.changeLines(ev)
	return d
}

func composeRemoved(ev *model.Event, o Options, l *tr) Doc {
	subject := "[" + l.t("label.removed") + "] " + ev.ItemID
	h := Headline{Badge: l.t("label.removed"), ID: ev.ItemID, Tone: ToneNeutral}
	switch {
	case ev.Issue != nil:
		h.Service, h.Title = l.name("service", ev.Issue.Service), l.quiet(oneLine(ev.Issue.Title))
	case ev.Message != nil:
		h.Service, h.Title = strings.Join(l.names("service", ev.Message.Services), l.t("punct.listSep")), l.quiet(oneLine(ev.Message.Title))
	case ev.Service != nil:
		h.Service = l.serviceName(ev.Service)
	}
	subject = join(" | ", subject, h.Service, h.Title)
	where := l.t("removed.where.shd")
	switch ev.Source {
	case model.SourceMC:
		where = l.t("removed.where.mc")
	case model.SourceHealth:
		where = l.t("removed.where.health")
	}
	d := Doc{Subject: subject, Headline: h}
	if ev.Tenant != "" {
		d.fact("tenant", l.t("label.tenant"), tenantName(ev, o))
	}
	d.Changes = []string{l.f("removed.text", "id", ev.ItemID, "where", where, "time", l.time(ev.DetectedAt))}
	return d
}

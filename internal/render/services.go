package render

import (
	"slices"
	"strconv"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// The service status changes of a notice: the poll folds the health
// overview flips that an incident explains into the incident's event, and
// gathers the flips no incident explains into one service.status event;
// both carry them in model.Event.Items.

// maxSubjectServices is how many services a service status subject names.
const maxSubjectServices = 4

// statusRank orders statuses from working to broken, for the badge of a
// notice about several services: the worst one is shown.
func statusRank(s model.Status) int {
	switch s {
	case model.StatusServiceOperational:
		return 0
	case model.StatusServiceRestored, model.StatusPostIncidentReviewPublished, model.StatusFalsePositive,
		model.StatusResolved, model.StatusResolvedExternal:
		return 1
	case model.StatusServiceDegradation:
		return 3
	case model.StatusServiceInterruption:
		return 4
	}
	return 2 // investigating, restoring, extended recovery, …
}

// serviceItems are the health overview events among items, in the order
// a notice lists them: broken first, then by name.
func serviceItems(items []model.Event) []model.Event {
	var out []model.Event
	for _, it := range items {
		if it.Service != nil {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b model.Event) int {
		if ra, rb := statusRank(a.Service.Status), statusRank(b.Service.Status); ra != rb {
			return rb - ra
		}
		return strings.Compare(strings.ToLower(a.Service.Service), strings.ToLower(b.Service.Service))
	})
	return out
}

// services adds the services of items to d, under "Service status".
func (d *Doc) services(items []model.Event, l *tr) {
	for _, it := range serviceItems(items) {
		d.Services = append(d.Services, Field{Key: it.Service.ID, Label: l.serviceName(it.Service), Value: l.serviceChange(&it)})
	}
	if len(d.Services) > 0 {
		d.ServicesTitle = l.t("label.serviceStatus")
	}
}

// serviceChange is a service's new status and the one it came from:
// "Service degradation ← Service operational"; for a service seen for
// the first time, "Service degradation (service first seen)".
func (l *tr) serviceChange(ev *model.Event) string {
	s := l.statusSince(ev, ev.Service.Status)
	if ev.Has(model.ChangeNew) {
		s += " (" + l.t("change.new.health") + ")"
	}
	return s
}

// composeServices is the notice of a poll's service status changes that
// no incident explains: one notice listing every service.
func composeServices(ev *model.Event, o Options, l *tr) Doc {
	items := serviceItems(ev.Items)
	worst := ev.Service.Status
	var names []string
	for _, it := range items {
		if statusRank(it.Service.Status) > statusRank(worst) {
			worst = it.Service.Status
		}
		names = append(names, l.serviceName(it.Service))
	}
	list := strings.Join(names[:min(len(names), maxSubjectServices)], l.t("punct.listSep"))
	if len(names) > maxSubjectServices {
		list = l.f("footer.alsoInMore", "list", list, "n", strconv.Itoa(len(names)-maxSubjectServices))
	}
	badge := l.badge(worst)
	title := l.f("services.title", "n", strconv.Itoa(len(items)))
	d := Doc{Subject: join(" | ", "["+badge+"] "+l.t("label.serviceStatus"), list)}
	d.Headline = Headline{Badge: badge, ID: l.t("label.serviceStatus"), Service: list, Title: title, Tone: serviceTone(worst)}
	if ev.Tenant != "" {
		d.fact("tenant", l.t("label.tenant"), tenantName(ev, o))
	}
	d.fact("detected", l.t("label.detected"), l.time(ev.DetectedAt))
	d.services(items, l)
	return d
}

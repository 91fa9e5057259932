package serve

import (
	"net/http"
	"sort"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// statusLine is the one line at the top of the dashboard: what is active,
// how much it touches, since when, and how fresh the data is.
type statusLine struct {
	Level, LevelWord string
	Parts            []string // "1 active incident", "2 advisories", "5 of 9 services affected", …
	Polled           string   // "polled 12 s ago", "as of …" on the static site
	PolledAt         string   // RFC 3339 of the newest successful poll
	Stale            bool
}

// svcTile is one service across every tenant: its worst level, and where.
type svcTile struct {
	Name, Level, LevelWord, Link string
	Where                        string // "2 of 2 tenants" when not every tenant or more than one
	Issues                       []string
}

type tenantRow struct {
	ID, Name string
	Services []svcCell
	Stale    bool
}

type svcCell struct {
	Name, Status, Label, Level, LevelWord, Link string
	OK                                          bool
}

type dashData struct {
	Line      statusLine
	Tiles     []svcTile
	Tenants   []tenantRow
	Incidents []incidentCard
	// More counts the active issues beyond the cards shown.
	More               int
	MoreText, MoreLink string
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.viewOf(r)
	sn, err := s.snapshot(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	d := dashData{}
	d.Incidents, d.More = s.incidentCards(ctx, v, sn)
	if err := s.ownCards(w, r, v, d.Incidents); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.More > 0 {
		d.MoreText, d.MoreLink = v.N("active.more", d.More), v.Link("/issues", "tab", "active")
	}

	// Tiles: every service across tenants, worst first.
	type agg struct {
		worst    level
		affected int
		present  int
		issues   map[string]bool
	}
	aggs := map[string]*agg{}
	worst := levelOperational
	for _, m := range sn.Services {
		for name, st := range m {
			a := aggs[name]
			if a == nil {
				a = &agg{issues: map[string]bool{}}
				aggs[name] = a
			}
			a.present++
			a.worst = max(a.worst, st.Level)
			worst = max(worst, st.Level)
			if st.Level > levelOperational {
				a.affected++
			}
			for _, id := range st.Issues {
				a.issues[id] = true
			}
		}
	}
	affected := 0
	for _, name := range sn.serviceNames() {
		a := aggs[name]
		t := svcTile{Name: v.Enum("service", name), Level: a.worst.String(), LevelWord: v.T("level." + a.worst.String()),
			Link: v.Link("/issues", "service", name, "tab", "active")}
		if a.worst > levelOperational {
			affected++
			if len(sn.Tenants) > 1 {
				t.Where = v.F("svc.where", "n", a.affected, "total", len(sn.Tenants))
			}
		}
		for id := range a.issues {
			t.Issues = append(t.Issues, id)
		}
		sort.Strings(t.Issues)
		d.Tiles = append(d.Tiles, t)
	}
	sort.SliceStable(d.Tiles, func(i, j int) bool { return levelRank(d.Tiles[i].Level) > levelRank(d.Tiles[j].Level) })

	// The grid: every tenant's services.
	staleTenant := map[string]bool{}
	for _, st := range sn.States {
		if s.isStale(st, now) {
			staleTenant[st.Tenant] = true
		}
	}
	for _, t := range sn.Tenants {
		row := tenantRow{ID: t.ID, Name: t.Name, Stale: staleTenant[t.ID]}
		for _, st := range sn.Services[t.ID] {
			status := st.Health
			label := v.Enum("status", string(status))
			if status == "" {
				label = v.T("level." + st.Level.String())
			}
			row.Services = append(row.Services, svcCell{Name: v.Enum("service", st.Name), Status: string(status), Label: label,
				Level: st.Level.String(), LevelWord: v.T("level." + st.Level.String()), OK: st.Level == levelOperational,
				Link: v.Link("/issues", "service", st.Name, "tenant", t.ID, "tab", "active")})
		}
		sort.Slice(row.Services, func(i, j int) bool {
			a, b := row.Services[i], row.Services[j]
			if a.OK != b.OK {
				return !a.OK
			}
			return a.Name < b.Name
		})
		if len(row.Services) > 0 || len(sn.Services) == 0 {
			d.Tenants = append(d.Tenants, row)
		}
	}

	// The status line.
	inc, adv := countIssues(sn.Active)
	line := statusLine{Level: worst.String(), LevelWord: v.T("level." + worst.String()), Stale: sn.Stale, PolledAt: v.ISO(sn.LastPoll)}
	if len(inc)+len(adv) == 0 {
		line.Parts = append(line.Parts, v.T("sl.quiet"))
	} else {
		if len(inc) > 0 {
			line.Parts = append(line.Parts, v.N("sl.incidents", len(inc)))
		}
		if len(adv) > 0 {
			line.Parts = append(line.Parts, v.N("sl.advisories", len(adv)))
		}
	}
	if total := len(d.Tiles); total > 0 {
		if affected > 0 {
			line.Parts = append(line.Parts, v.F("sl.services", "n", affected, "total", total))
		} else {
			line.Parts = append(line.Parts, v.F("sl.servicesOK", "total", total))
		}
	}
	line.Parts = append(line.Parts, v.N("sl.tenants", len(sn.Tenants)))
	var since time.Time
	for _, a := range sn.Active {
		if len(inc) > 0 && a.Issue.Classification != model.ClassificationIncident {
			continue
		}
		if !a.Issue.Start.IsZero() && (since.IsZero() || a.Issue.Start.Before(since)) {
			since = a.Issue.Start
		}
	}
	if !since.IsZero() {
		line.Parts = append(line.Parts, v.F("sl.since", "time", v.Time(since)))
	}
	switch {
	case v.Static:
		line.Polled = v.F("sl.asOf", "time", v.Time(sn.LastPoll))
		line.Stale = false
	case sn.LastPoll.IsZero():
		line.Polled = v.T("sl.never")
	default:
		line.Polled = v.F("sl.polled", "ago", v.Ago(sn.LastPoll, now))
	}
	d.Line = line
	p := page0(v, v.T("nav.dashboard"), "dashboard", d)
	if !v.Static {
		p.Version = sn.Version
	}
	s.render(w, r, "dashboard.html", p)
}

// levelRank is the order of a level's name (0 = operational).
func levelRank(name string) int {
	for i, n := range levelNames {
		if n == name {
			return i
		}
	}
	return 0
}

package serve

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

type delivRow struct {
	ID                                                              int64
	Channel, Route, State, Created, Next, Error, Item, Link, Tenant string
	Attempts                                                        int
	// StateKey is the raw state (a CSS class), Title the item's title,
	// Event the event's type in the reader's words.
	StateKey, Title, Event string
}

type delivData struct {
	Rows       []delivRow
	States     []tabLink
	Page       string
	Prev, Next string
}

// delivPageSize is the number of deliveries per page.
const delivPageSize = 25

// maxDelivPages bounds how deep the deliveries page goes (the store lists
// the newest first).
const maxDelivPages = 200

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	v := s.viewOf(r)
	q := r.URL.Query()
	var states []store.DeliveryState
	st := q.Get("state")
	if st != "" {
		states = []store.DeliveryState{store.DeliveryState(st)}
	}
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = min(max(pg, 0), maxDelivPages-1)
	ds, err := s.st.Deliveries(r.Context(), states, (pg+1)*delivPageSize+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	more := len(ds) > (pg+1)*delivPageSize
	ds = ds[min(pg*delivPageSize, len(ds)):min((pg+1)*delivPageSize, len(ds))]
	d := delivData{Page: v.F("deliv.page", "n", pg+1)}
	for _, dl := range ds {
		ev := dl.Event
		row := delivRow{ID: dl.ID, Channel: dl.Channel, Route: dl.Route, StateKey: string(dl.State), State: v.T("state." + string(dl.State)),
			Attempts: dl.Attempts, Created: v.Time(dl.CreatedAt), Next: v.Time(dl.NextAttempt), Error: dl.LastError,
			Item: ev.ItemID, Tenant: ev.Tenant, Event: v.T("event." + string(ev.Type))}
		if ev.ItemID != "" && (ev.Source == model.SourceSHD || ev.Source == model.SourceMC || ev.Source == model.SourceHealth) {
			row.Link = v.Link(itemPath(ev.Key()))
		}
		if dl.State == store.DeliveryDone {
			row.Next = ""
		}
		switch {
		case ev.Issue != nil:
			row.Title = ev.Issue.Title
		case ev.Message != nil:
			row.Title = ev.Message.Title
		case ev.Service != nil:
			row.Title = v.Enum("service", ev.Service.Service)
		}
		if t, ok := s.translateLine(r.Context(), v.Lang, row.Title); ok {
			row.Title = t
		}
		d.Rows = append(d.Rows, row)
	}
	link := func(set ...string) string {
		c := url.Values{}
		if st != "" {
			c.Set("state", st)
		}
		for i := 0; i+1 < len(set); i += 2 {
			if set[i+1] == "" {
				c.Del(set[i])
			} else {
				c.Set(set[i], set[i+1])
			}
		}
		return v.Link("/deliveries", flatten(c)...)
	}
	if pg > 0 {
		d.Prev = link("page", strconv.Itoa(pg-1))
	}
	if more && pg+1 < maxDelivPages {
		d.Next = link("page", strconv.Itoa(pg+1))
	}
	d.States = append(d.States, tabLink{Label: v.T("tab.all"), Link: v.Link("/deliveries"), Current: st == ""})
	for _, k := range []string{"pending", "retrying", "done", "dead"} {
		d.States = append(d.States, tabLink{Key: k, Label: v.T("state." + k), Link: v.Link("/deliveries", "state", k), Current: st == k})
	}
	s.render(w, r, "deliveries.html", page0(v, v.T("deliv.title"), "deliveries", d))
}

// flatten turns url.Values into the name/value pairs of view.Link.
func flatten(c url.Values) []string {
	var out []string
	for k, vs := range c {
		for _, val := range vs {
			out = append(out, k, val)
		}
	}
	return out
}

package serve

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// apiItem is an item in the JSON API.
type apiItemJSON struct {
	Tenant       string          `json:"tenant"`
	Source       model.Source    `json:"source"`
	ID           string          `json:"id"`
	Revision     int             `json:"revision"`
	LastModified time.Time       `json:"lastModified"`
	SeenAt       time.Time       `json:"seenAt"`
	Removed      bool            `json:"removed"`
	Data         json.RawMessage `json:"data"`
	// Handling is the item's ownership (incidents, advisories and
	// Message Center posts; not on revisions).
	Handling *apiHandlingJSON `json:"handling,omitempty"`
	// Relevance, Tickets and Tenants are the item's relevance for its
	// tenant (Message Center), its tickets, and (item endpoint) every
	// tenant's copy of it: msp_api.go.
	Relevance *model.Relevance `json:"relevance,omitempty"`
	Tickets   []store.Ticket   `json:"tickets,omitempty"`
	Tenants   []apiCopy        `json:"tenants,omitempty"`
}

func itemJSON(it store.Item) apiItemJSON {
	data := json.RawMessage(it.Data)
	if !json.Valid(data) {
		data = json.RawMessage("null")
	}
	return apiItemJSON{Tenant: it.Key.Tenant, Source: it.Key.Source, ID: it.Key.ID, Revision: it.Revision,
		LastModified: it.LastModified, SeenAt: it.SeenAt, Removed: it.Removed, Data: data}
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) apiTenants(w http.ResponseWriter, r *http.Request) {
	ts, err := s.st.Tenants(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []model.Tenant{}
	}
	s.writeJSON(w, map[string]any{"tenants": ts})
}

// apiService is one service of one tenant.
type apiService struct {
	Tenant  string       `json:"tenant"`
	ID      string       `json:"id"`
	Service string       `json:"service"`
	Status  model.Status `json:"status"`
}

func (s *Server) apiServices(w http.ResponseWriter, r *http.Request) {
	q := store.ItemQuery{Source: model.SourceHealth}
	if t := r.URL.Query()["tenant"]; len(t) > 0 && t[0] != "" {
		q.Tenants = t
	}
	items, err := s.allItems(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []apiService{}
	for _, it := range items {
		var sh model.ServiceHealth
		if json.Unmarshal(it.Data, &sh) == nil {
			out = append(out, apiService{Tenant: it.Key.Tenant, ID: sh.ID, Service: sh.Service, Status: sh.Status})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return out[i].ID < out[j].ID
	})
	s.writeJSON(w, map[string]any{"services": out})
}

func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) {
	q, err := queryOf(r.URL.Query())
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.resolveMine(r, &q)
	page, err := s.rd.SearchItems(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hs, err := s.handlings(r.Context(), page.Items)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]apiItemJSON, 0, len(page.Items))
	for _, it := range page.Items {
		j := itemJSON(it)
		if owned(it.Key.Source) {
			j.Handling = handlingJSON(hs[it.Key])
		}
		out = append(out, j)
	}
	s.apiExtras(r.Context(), out)
	resp := map[string]any{"total": page.Total, "totalExact": page.Exact, "more": page.More, "offset": q.Offset, "items": out}
	if page.Next != "" {
		resp["after"] = page.Next
	}
	s.writeJSON(w, resp)
}

func (s *Server) apiItem(w http.ResponseWriter, r *http.Request) {
	key := model.ItemKey{Tenant: r.PathValue("tenant"), Source: model.Source(r.PathValue("source")), ID: r.PathValue("id")}
	m, err := s.st.Items(r.Context(), key.Tenant, key.Source, []string{key.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	it, ok := m[key.ID]
	if !ok {
		apiError(w, http.StatusNotFound, "no such item")
		return
	}
	out := []apiItemJSON{itemJSON(it)}
	s.apiExtras(r.Context(), out)
	out[0].Tenants = s.apiCopies(r.Context(), key)
	if owned(key.Source) {
		h, err := s.st.Handling(r.Context(), key)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out[0].Handling = handlingJSON(h)
	}
	s.writeJSON(w, out[0])
}

func (s *Server) apiRevisions(w http.ResponseWriter, r *http.Request) {
	key := model.ItemKey{Tenant: r.PathValue("tenant"), Source: model.Source(r.PathValue("source")), ID: r.PathValue("id")}
	revs, err := s.revisions(r.Context(), key)
	if err != nil {
		if err == store.ErrNotFound {
			apiError(w, http.StatusNotFound, "no such item")
			return
		}
		s.fail(w, r, err)
		return
	}
	out := make([]apiItemJSON, 0, len(revs))
	for _, rv := range revs {
		out = append(out, itemJSON(store.Item(rv)))
	}
	s.writeJSON(w, map[string]any{"revisions": out})
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	eq := store.EventQuery{Tenant: q.Get("tenant"), ItemID: q.Get("item"), Limit: 500}
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			apiError(w, http.StatusBadRequest, "since must be an RFC 3339 time")
			return
		}
		eq.Since = t
	}
	evs, err := s.st.Events(r.Context(), eq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []model.Event{}
	}
	s.writeJSON(w, map[string]any{"events": evs})
}

// apiDelivery is an outbox row in the JSON API.
type apiDelivery struct {
	ID          int64     `json:"id"`
	Channel     string    `json:"channel"`
	Route       string    `json:"route,omitempty"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt"`
	LastError   string    `json:"lastError,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	DoneAt      time.Time `json:"doneAt,omitzero"`
	EventID     int64     `json:"eventId"`
	EventType   string    `json:"eventType"`
	Tenant      string    `json:"tenant"`
	Source      string    `json:"source"`
	ItemID      string    `json:"itemId"`
}

func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request) {
	var states []store.DeliveryState
	for _, st := range r.URL.Query()["state"] {
		states = append(states, store.DeliveryState(st))
	}
	ds, err := s.st.Deliveries(r.Context(), states, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]apiDelivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, apiDelivery{ID: d.ID, Channel: d.Channel, Route: d.Route, State: string(d.State), Attempts: d.Attempts,
			NextAttempt: d.NextAttempt, LastError: d.LastError, CreatedAt: d.CreatedAt, DoneAt: d.DoneAt,
			EventID: d.Event.ID, EventType: string(d.Event.Type), Tenant: d.Event.Tenant, Source: string(d.Event.Source), ItemID: d.Event.ItemID})
	}
	s.writeJSON(w, map[string]any{"deliveries": out})
}

// apiSource is the polling state of one tenant and source.
type apiSource struct {
	Tenant      string    `json:"tenant"`
	Source      string    `json:"source"`
	Watermark   time.Time `json:"watermark"`
	LastFull    time.Time `json:"lastFull"`
	LastSuccess time.Time `json:"lastSuccess"`
	Stale       bool      `json:"stale"`
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) {
	states, err := s.rd.SourceStates(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	out := make([]apiSource, 0, len(states))
	for _, st := range states {
		out = append(out, apiSource{Tenant: st.Tenant, Source: string(st.Source), Watermark: st.Cursor.Watermark,
			LastFull: st.Cursor.LastFull, LastSuccess: st.UpdatedAt, Stale: s.isStale(st, now)})
	}
	s.writeJSON(w, map[string]any{"sources": out})
}

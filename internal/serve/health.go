package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// level is what a service's state means to a reader, from operational to
// interruption; the order is the order of severity.
type level int

// The levels, mildest first.
const (
	levelOperational level = iota
	levelAdvisory
	levelRestoring
	levelDegradation
	levelInterruption
)

// levelNames are the CSS classes, catalog keys ("level."+name) and
// metric label values of the levels.
var levelNames = [...]string{"operational", "advisory", "restoring", "degradation", "interruption"}

func (l level) String() string { return levelNames[l] }

// restoring reports whether a status says Microsoft is recovering.
func restoring(st model.Status) bool {
	switch st {
	case model.StatusRestoringService, model.StatusExtendedRecovery, model.StatusVerifyingService,
		model.StatusMitigated, model.StatusMitigatedExternal:
		return true
	}
	return false
}

// healthLevel is the level a health overview's status means. Statuses
// that only say something is being looked at (investigating, confirmed,
// reported, suspended, or one we do not know) are an advisory.
func healthLevel(st model.Status) level {
	switch {
	case st == model.StatusServiceInterruption:
		return levelInterruption
	case st == model.StatusServiceDegradation:
		return levelDegradation
	case restoring(st):
		return levelRestoring
	case !st.Active() || st == "":
		return levelOperational
	}
	return levelAdvisory
}

// issueLevel is the level an active issue gives its service: an advisory
// is an advisory, an incident a degradation (an interruption when its
// status says so), either one restoring while Microsoft recovers.
func issueLevel(is *model.Issue) level {
	switch {
	case is.IsResolved || !is.Status.Active():
		return levelOperational
	case is.Status == model.StatusServiceInterruption:
		return levelInterruption
	case restoring(is.Status):
		return levelRestoring
	case is.Classification == model.ClassificationIncident:
		return levelDegradation
	}
	return levelAdvisory
}

// svcState is one service of one tenant.
type svcState struct {
	Tenant string
	ID     string       // health overview ID ("Exchange"); "" when known only from an issue
	Name   string       // display name ("Exchange Online")
	Health model.Status // the overview's status; "" when there is none
	Level  level        // from the overview and the active issues together
	Issues []string     // IDs of the tenant's active issues of this service
}

// activeIssue is a decoded active issue of one tenant.
type activeIssue struct {
	Item  store.Item
	Issue model.Issue
}

// snapshot is the state of every tenant's services as the dashboard, its
// status line, /api/v1/status and /metrics show it.
type snapshot struct {
	Tenants  []model.Tenant                  // configured ones by ID, then any others seen
	Services map[string]map[string]*svcState // tenant → service name → state
	Active   []activeIssue                   // every tenant's active issues, newest first
	States   []store.SourceState             // polling state of every tenant and source
	LastPoll time.Time                       // newest successful poll of any source; zero when none
	Stale    bool                            // LastPoll older than 3 intervals, or no poll yet
	Version  string                          // changes whenever what the dashboard shows changes
}

// maxActiveIssues bounds the active issues one snapshot reads.
const maxActiveIssues = 1000

// snapshot reads the health overviews, the active issues and the polling
// state, and derives every service's level.
func (s *Server) snapshot(ctx context.Context) (*snapshot, error) {
	sn := &snapshot{Services: map[string]map[string]*svcState{}}
	tenants, err := s.st.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	health, err := s.allItems(ctx, store.ItemQuery{Source: model.SourceHealth})
	if err != nil {
		return nil, err
	}
	yes := true
	var active []store.Item
	err = s.eachItem(ctx, store.ItemQuery{Source: model.SourceSHD, Active: &yes}, maxActiveIssues/1000, func(it store.Item) error {
		active = append(active, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sn.States, err = s.rd.SourceStates(ctx); err != nil {
		return nil, err
	}
	h := sha256.New()
	svc := func(tenant, name string) *svcState {
		m := sn.Services[tenant]
		if m == nil {
			m = map[string]*svcState{}
			sn.Services[tenant] = m
		}
		st := m[name]
		if st == nil {
			st = &svcState{Tenant: tenant, Name: name}
			m[name] = st
		}
		return st
	}
	for _, it := range health {
		var sh model.ServiceHealth
		if json.Unmarshal(it.Data, &sh) != nil {
			continue
		}
		name := sh.Service
		if name == "" {
			name = sh.ID
		}
		st := svc(it.Key.Tenant, name)
		st.ID, st.Health = sh.ID, sh.Status
		st.Level = max(st.Level, healthLevel(sh.Status))
		fmt.Fprintf(h, "h\x00%s\x00%s\x00%s\n", it.Key.Tenant, it.Key.ID, it.Hash)
	}
	for _, it := range active {
		var is model.Issue
		if json.Unmarshal(it.Data, &is) != nil {
			continue
		}
		fmt.Fprintf(h, "i\x00%s\x00%s\x00%s\n", it.Key.Tenant, it.Key.ID, it.Hash)
		sn.Active = append(sn.Active, activeIssue{Item: it, Issue: is})
		if is.Service == "" {
			continue
		}
		st := svc(it.Key.Tenant, is.Service)
		st.Level = max(st.Level, issueLevel(&is))
		st.Issues = append(st.Issues, is.ID)
	}
	sn.Version = hex.EncodeToString(h.Sum(nil))[:16]

	known := map[string]bool{}
	for _, t := range tenants {
		known[t.ID] = true
		sn.Tenants = append(sn.Tenants, t)
	}
	var extra []string
	addExtra := func(id string) {
		if !known[id] {
			known[id] = true
			extra = append(extra, id)
		}
	}
	for id := range sn.Services {
		addExtra(id)
	}
	for _, st := range sn.States {
		if st.Source == model.SourceHealth || st.Source == model.SourceSHD || st.Source == model.SourceMC {
			addExtra(st.Tenant)
		}
	}
	sort.Strings(extra)
	for _, id := range extra {
		sn.Tenants = append(sn.Tenants, model.Tenant{ID: id})
	}
	for _, st := range sn.States {
		if st.UpdatedAt.After(sn.LastPoll) {
			sn.LastPoll = st.UpdatedAt
		}
	}
	sn.Stale = s.pageStale(len(sn.States), sn.LastPoll)
	return sn, nil
}

// pageStale reports whether a page's data is stale: sources are known
// but none was ever polled successfully, or the newest poll is older than
// three intervals. (A store without any source yet is not stale: nothing
// has been configured to poll.)
func (s *Server) pageStale(sources int, lastPoll time.Time) bool {
	if lastPoll.IsZero() {
		return sources > 0
	}
	return s.now().Sub(lastPoll) > 3*s.o.Interval
}

// serviceNames are the names of every service of any tenant, sorted.
func (sn *snapshot) serviceNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range sn.Services {
		for name := range m {
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// statusJSON is the answer of /api/v1/status: what the dashboard's
// script asks every few seconds.
type statusJSON struct {
	// Version changes whenever the dashboard's content changes.
	Version string `json:"version"`
	// LastPoll is the newest successful poll of any tenant and source.
	LastPoll time.Time `json:"lastPoll,omitzero"`
	// Now is the server's clock.
	Now time.Time `json:"now"`
	// Stale is true when no source was polled successfully for three
	// intervals.
	Stale bool `json:"stale"`
	// StaleAfterSeconds is that limit.
	StaleAfterSeconds int `json:"staleAfterSeconds"`
	// Incidents and Advisories count the active issues (one per ID, in
	// however many tenants).
	Incidents  int `json:"incidents"`
	Advisories int `json:"advisories"`
	// Services counts the services of every tenant by level.
	Services map[string]int `json:"services"`
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := statusJSON{Version: sn.Version, LastPoll: sn.LastPoll, Now: s.now(), Stale: sn.Stale,
		StaleAfterSeconds: int((3 * s.o.Interval).Seconds()), Services: map[string]int{}}
	inc, adv := countIssues(sn.Active)
	out.Incidents, out.Advisories = len(inc), len(adv)
	for _, name := range levelNames {
		out.Services[name] = 0
	}
	for _, m := range sn.Services {
		for _, st := range m {
			out.Services[st.Level.String()]++
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, out)
}

// countIssues returns the IDs of the active incidents and advisories,
// each ID once however many tenants have it.
func countIssues(active []activeIssue) (incidents, advisories map[string]bool) {
	incidents, advisories = map[string]bool{}, map[string]bool{}
	for _, a := range active {
		if a.Issue.Classification == model.ClassificationIncident {
			incidents[a.Issue.ID] = true
		} else {
			advisories[a.Issue.ID] = true
		}
	}
	for id := range incidents {
		delete(advisories, id) // an advisory in one tenant, an incident in another: an incident
	}
	return incidents, advisories
}

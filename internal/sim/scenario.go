package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"go.yaml.in/yaml/v3"
)

// Scenario is a timeline of content changes (and optionally faults) that the
// server applies as its Clock passes each step.
type Scenario struct {
	Name        string
	Description string
	Start       time.Time        // scenario time of step offset 0
	Tenants     []ScenarioTenant // tenants the scenario registers
	Steps       []Step           // sorted by At
}

// ScenarioTenant is a tenant a scenario registers with the authority.
type ScenarioTenant struct {
	ID           string
	ClientID     string
	ClientSecret string
}

// Step is one point of a scenario timeline.
type Step struct {
	At      time.Duration // offset from Scenario.Start
	Time    time.Time     // Start + At
	Note    string        // free text for the demo
	Tenants []string      // empty: every tenant

	services       []model.ServiceHealth
	issues         []issueChange
	messages       []messageChange
	removeIssues   []string
	removeMessages []string
	faults         []Fault
	faultsSet      bool
}

type optStr struct {
	ok bool
	v  string
}

type optTime struct {
	ok bool
	v  time.Time // zero with ok clears
}

type issueChange struct {
	id                                                       string
	title, service, feature, featureGroup, class, origin, st optStr
	impact                                                   optStr
	isResolved                                               *bool
	start, end                                               optTime
	details                                                  *[]model.KeyValue
	post                                                     *string
	postType                                                 string
}

type attachmentSpec struct {
	Name        string `yaml:"name"`
	ContentType string `yaml:"contentType"`
	Size        int64  `yaml:"size"`
}

type messageChange struct {
	id                              string
	title, category, severity, body optStr
	services, tags                  *[]string
	isMajor                         *bool
	actionBy, start, end            optTime
	attachments                     *[]attachmentSpec
	details                         *[]model.KeyValue
}

// YAML shapes (the file format is fixed; see the package tests' testdata).
type yScenario struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Start       time.Time `yaml:"start"`
	Tenants     []struct {
		ID           string `yaml:"id"`
		ClientID     string `yaml:"client_id"`
		ClientSecret string `yaml:"client_secret"`
	} `yaml:"tenants"`
	Steps []yStep `yaml:"steps"`
}

type yStep struct {
	At             string     `yaml:"at"`
	Note           string     `yaml:"note"`
	Tenants        []string   `yaml:"tenants"`
	Services       []yService `yaml:"services"`
	Issues         []yIssue   `yaml:"issues"`
	Messages       []yMessage `yaml:"messages"`
	RemoveIssues   []string   `yaml:"remove_issues"`
	RemoveMessages []string   `yaml:"remove_messages"`
	Faults         yaml.Node  `yaml:"faults"`
}

type yService struct {
	ID      string `yaml:"id"`
	Service string `yaml:"service"`
	Status  string `yaml:"status"`
}

type yKV struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type yIssue struct {
	ID                string    `yaml:"id"`
	Title             yaml.Node `yaml:"title"`
	Service           yaml.Node `yaml:"service"`
	Feature           yaml.Node `yaml:"feature"`
	FeatureGroup      yaml.Node `yaml:"featureGroup"`
	Classification    yaml.Node `yaml:"classification"`
	Origin            yaml.Node `yaml:"origin"`
	Status            yaml.Node `yaml:"status"`
	ImpactDescription yaml.Node `yaml:"impactDescription"`
	IsResolved        *bool     `yaml:"isResolved"`
	StartDateTime     yaml.Node `yaml:"startDateTime"`
	EndDateTime       yaml.Node `yaml:"endDateTime"`
	Details           *[]yKV    `yaml:"details"`
	Post              *string   `yaml:"post"`
	PostType          string    `yaml:"postType"`
}

type yMessage struct {
	ID                       string            `yaml:"id"`
	Title                    yaml.Node         `yaml:"title"`
	Category                 yaml.Node         `yaml:"category"`
	Severity                 yaml.Node         `yaml:"severity"`
	Services                 *[]string         `yaml:"services"`
	Tags                     *[]string         `yaml:"tags"`
	IsMajorChange            *bool             `yaml:"isMajorChange"`
	ActionRequiredByDateTime yaml.Node         `yaml:"actionRequiredByDateTime"`
	StartDateTime            yaml.Node         `yaml:"startDateTime"`
	EndDateTime              yaml.Node         `yaml:"endDateTime"`
	Body                     yaml.Node         `yaml:"body"`
	Attachments              *[]attachmentSpec `yaml:"attachments"`
	Details                  *[]yKV            `yaml:"details"`
}

type yFault struct {
	Tenant     string `yaml:"tenant"`
	PathPrefix string `yaml:"path_prefix"`
	Kind       string `yaml:"kind"`
	Status     int    `yaml:"status"`
	RetryAfter string `yaml:"retry_after"`
	Count      int    `yaml:"count"`
	After      int    `yaml:"after"`
	Delay      string `yaml:"delay"`
	From       string `yaml:"from"` // RFC 3339 wall time (rarely useful in files)
	Until      string `yaml:"until"`
	Location   string `yaml:"location"`
	Item       string `yaml:"item"`
	Size       int64  `yaml:"size"`
}

// LoadScenarioFile reads and parses a scenario YAML file.
func LoadScenarioFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return ParseScenario(data, path)
}

// ParseScenario parses scenario YAML; name (usually the file name) prefixes
// errors. Unknown keys are errors.
func ParseScenario(data []byte, name string) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var y yScenario
	if err := dec.Decode(&y); err != nil {
		return nil, fmt.Errorf("parse scenario %s: %w", name, err)
	}
	if y.Start.IsZero() {
		return nil, fmt.Errorf("parse scenario %s: start is required", name)
	}
	sc := &Scenario{Name: y.Name, Description: y.Description, Start: y.Start.UTC()}
	for i, t := range y.Tenants {
		if t.ID == "" || t.ClientID == "" {
			return nil, fmt.Errorf("parse scenario %s: tenants[%d]: id and client_id are required", name, i)
		}
		sc.Tenants = append(sc.Tenants, ScenarioTenant{ID: t.ID, ClientID: t.ClientID, ClientSecret: t.ClientSecret})
	}
	for i, ys := range y.Steps {
		st, err := convertStep(sc.Start, ys)
		if err != nil {
			return nil, fmt.Errorf("parse scenario %s: steps[%d] (at %q): %w", name, i, ys.At, err)
		}
		sc.Steps = append(sc.Steps, st)
	}
	sort.SliceStable(sc.Steps, func(i, j int) bool { return sc.Steps[i].At < sc.Steps[j].At })
	return sc, nil
}

func convertStep(start time.Time, ys yStep) (Step, error) {
	at, err := time.ParseDuration(strings.TrimSpace(ys.At))
	if err != nil {
		return Step{}, fmt.Errorf("at: %w", err)
	}
	st := Step{At: at, Time: start.Add(at), Note: ys.Note, Tenants: ys.Tenants,
		removeIssues: ys.RemoveIssues, removeMessages: ys.RemoveMessages}
	for _, s := range ys.Services {
		if s.ID == "" {
			return st, errors.New("services: id is required")
		}
		st.services = append(st.services, model.ServiceHealth{ID: s.ID, Service: s.Service, Status: model.Status(s.Status)})
	}
	for _, yi := range ys.Issues {
		c, err := convertIssue(start, yi)
		if err != nil {
			return st, fmt.Errorf("issue %s: %w", yi.ID, err)
		}
		st.issues = append(st.issues, c)
	}
	for _, ym := range ys.Messages {
		c, err := convertMessage(start, ym)
		if err != nil {
			return st, fmt.Errorf("message %s: %w", ym.ID, err)
		}
		st.messages = append(st.messages, c)
	}
	if ys.Faults.Kind != 0 {
		st.faultsSet = true
		var yf []yFault
		if ys.Faults.Tag != "!!null" {
			if err := decodeStrict(&ys.Faults, &yf); err != nil {
				return st, fmt.Errorf("faults: %w", err)
			}
		}
		for _, f := range yf {
			ff, err := convertFault(f)
			if err != nil {
				return st, fmt.Errorf("faults: %w", err)
			}
			st.faults = append(st.faults, ff)
		}
	}
	return st, nil
}

// decodeStrict decodes a node with unknown keys refused.
func decodeStrict(n *yaml.Node, out any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	return d.Decode(out)
}

func convertFault(f yFault) (Fault, error) {
	out := Fault{Tenant: f.Tenant, PathPrefix: f.PathPrefix, Kind: FaultKind(f.Kind), Status: f.Status,
		RetryAfter: f.RetryAfter, Count: f.Count, After: f.After, Location: f.Location, Item: f.Item, Size: f.Size}
	switch out.Kind {
	case FaultStatus, FaultTimeout, FaultSlow, FaultMalformed, FaultHTML, FaultReset,
		FaultFutureTime, FaultDuplicateID, FaultMissingID, FaultFlatPost, FaultOversize:
	case FaultRedirect:
		if u, err := url.Parse(f.Location); err != nil || u.Scheme == "" || u.Host == "" {
			return out, fmt.Errorf("redirect fault: location %q must be an absolute URL", f.Location)
		}
	default:
		return out, fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Size < 0 {
		return out, fmt.Errorf("size %d is negative", f.Size)
	}
	if f.Delay != "" {
		d, err := time.ParseDuration(f.Delay)
		if err != nil {
			return out, fmt.Errorf("delay: %w", err)
		}
		out.Delay = d
	}
	for _, p := range []struct {
		s   string
		dst *time.Time
	}{{f.From, &out.From}, {f.Until, &out.Until}} {
		if p.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, p.s)
		if err != nil {
			return out, fmt.Errorf("from/until: %w", err)
		}
		*p.dst = t
	}
	return out, nil
}

func nodeStr(n yaml.Node) (optStr, error) {
	if n.Kind == 0 {
		return optStr{}, nil
	}
	if n.Tag == "!!null" {
		return optStr{ok: true}, nil
	}
	if n.Kind != yaml.ScalarNode {
		return optStr{}, fmt.Errorf("line %d: want a string", n.Line)
	}
	return optStr{ok: true, v: n.Value}, nil
}

// nodeTime parses an absolute RFC 3339 time or an offset like "+15m"/"-2h"
// from the scenario start; null or "" clears.
func nodeTime(start time.Time, n yaml.Node) (optTime, error) {
	s, err := nodeStr(n)
	if err != nil || !s.ok {
		return optTime{}, err
	}
	v := strings.TrimSpace(s.v)
	if v == "" {
		return optTime{ok: true}, nil
	}
	if v[0] == '+' || v[0] == '-' {
		d, err := time.ParseDuration(v)
		if err != nil {
			return optTime{}, fmt.Errorf("line %d: offset %q: %w", n.Line, v, err)
		}
		return optTime{ok: true, v: start.Add(d)}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return optTime{}, fmt.Errorf("line %d: time %q: %w", n.Line, v, err)
	}
	return optTime{ok: true, v: t.UTC()}, nil
}

func kvs(in *[]yKV) *[]model.KeyValue {
	if in == nil {
		return nil
	}
	out := make([]model.KeyValue, 0, len(*in))
	for _, kv := range *in {
		out = append(out, model.KeyValue{Name: kv.Name, Value: kv.Value})
	}
	return &out
}

func convertIssue(start time.Time, y yIssue) (issueChange, error) {
	if y.ID == "" {
		return issueChange{}, errors.New("id is required")
	}
	c := issueChange{id: y.ID, isResolved: y.IsResolved, details: kvs(y.Details), post: y.Post, postType: y.PostType}
	var err error
	for _, p := range []struct {
		n   yaml.Node
		dst *optStr
	}{{y.Title, &c.title}, {y.Service, &c.service}, {y.Feature, &c.feature}, {y.FeatureGroup, &c.featureGroup},
		{y.Classification, &c.class}, {y.Origin, &c.origin}, {y.Status, &c.st}, {y.ImpactDescription, &c.impact}} {
		if *p.dst, err = nodeStr(p.n); err != nil {
			return c, err
		}
	}
	if c.start, err = nodeTime(start, y.StartDateTime); err != nil {
		return c, fmt.Errorf("startDateTime: %w", err)
	}
	if c.end, err = nodeTime(start, y.EndDateTime); err != nil {
		return c, fmt.Errorf("endDateTime: %w", err)
	}
	return c, nil
}

func convertMessage(start time.Time, y yMessage) (messageChange, error) {
	if y.ID == "" {
		return messageChange{}, errors.New("id is required")
	}
	c := messageChange{id: y.ID, services: y.Services, tags: y.Tags, isMajor: y.IsMajorChange,
		attachments: y.Attachments, details: kvs(y.Details)}
	var err error
	for _, p := range []struct {
		n   yaml.Node
		dst *optStr
	}{{y.Title, &c.title}, {y.Category, &c.category}, {y.Severity, &c.severity}, {y.Body, &c.body}} {
		if *p.dst, err = nodeStr(p.n); err != nil {
			return c, err
		}
	}
	for _, p := range []struct {
		n   yaml.Node
		dst *optTime
	}{{y.ActionRequiredByDateTime, &c.actionBy}, {y.StartDateTime, &c.start}, {y.EndDateTime, &c.end}} {
		if *p.dst, err = nodeTime(start, p.n); err != nil {
			return c, err
		}
	}
	return c, nil
}

// itemOffset is the sub-second offset added to the step time for the k-th
// item a step changes, so that timestamps carry fractions and are distinct.
func itemOffset(k int) time.Duration {
	return time.Duration(((k+1)*1234567)%10000000) * 100 * time.Nanosecond
}

func set(dst *string, o optStr) {
	if o.ok {
		*dst = o.v
	}
}

func setT(dst *time.Time, o optTime) {
	if o.ok {
		*dst = o.v
	}
}

// attachmentID derives a stable GUID for an attachment.
func attachmentID(msg, name string) string {
	h := sha256.Sum256([]byte(msg + "\x00" + name))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

// view is the state of one group of tenants after each step.
type view struct {
	snaps []*snapshot // snaps[k] = state after the first k steps (snaps[0] empty)
}

// buildView applies the steps that concern tenant ("" = steps for every
// tenant only) and records the state after each step.
func buildView(sc *Scenario, tenant string) (*view, error) {
	issues := map[string]*model.Issue{}
	msgs := map[string]*model.Message{}
	var svcOrder []string
	svcs := map[string]model.ServiceHealth{}
	encI := map[string]*item{}
	encM := map[string]*item{}
	v := &view{snaps: []*snapshot{emptySnapshot()}}
	for _, st := range sc.Steps {
		applies := len(st.Tenants) == 0
		for _, t := range st.Tenants {
			if tenant != "" && strings.EqualFold(t, tenant) {
				applies = true
			}
		}
		if !applies {
			v.snaps = append(v.snaps, v.snaps[len(v.snaps)-1])
			continue
		}
		k := 0
		for _, s := range st.services {
			old, ok := svcs[s.ID]
			if !ok {
				svcOrder = append(svcOrder, s.ID)
				if s.Status == "" {
					s.Status = model.StatusServiceOperational
				}
			} else {
				if s.Service == "" {
					s.Service = old.Service
				}
				if s.Status == "" {
					s.Status = old.Status
				}
			}
			svcs[s.ID] = s
		}
		for _, c := range st.issues {
			prev := issues[c.id]
			is := &model.Issue{ID: c.id, Classification: model.ClassificationAdvisory, Origin: model.OriginMicrosoft,
				Status: model.StatusInvestigating, Start: st.Time}
			if prev != nil {
				cp := *prev
				cp.Posts = slices.Clone(prev.Posts)
				is = &cp
			}
			set(&is.Title, c.title)
			set(&is.Service, c.service)
			set(&is.Feature, c.feature)
			set(&is.FeatureGroup, c.featureGroup)
			var cls, org, sta, pt string = string(is.Classification), string(is.Origin), string(is.Status), ""
			set(&cls, c.class)
			set(&org, c.origin)
			set(&sta, c.st)
			is.Classification, is.Origin, is.Status = model.Classification(cls), model.Origin(org), model.Status(sta)
			set(&is.ImpactDescription, c.impact)
			if c.isResolved != nil {
				is.IsResolved = *c.isResolved
			}
			setT(&is.Start, c.start)
			setT(&is.End, c.end)
			if c.details != nil {
				is.Details = *c.details
			}
			is.LastModified = st.Time.Add(itemOffset(k))
			if c.post != nil {
				pt = c.postType
				if pt == "" {
					pt = string(model.PostRegular)
				}
				is.Posts = append(is.Posts, model.Post{Created: is.LastModified, Type: model.PostType(pt),
					ContentType: "html", Content: strings.TrimRight(*c.post, " \n\t")})
			}
			k++
			issues[c.id] = is
			it, err := encodeIssue(is)
			if err != nil {
				return nil, err
			}
			encI[c.id] = it
		}
		for _, c := range st.messages {
			prev := msgs[c.id]
			m := &model.Message{ID: c.id, Category: model.CategoryStayInformed, Severity: model.SeverityNormal,
				Start: st.Time, BodyType: "html"}
			if prev != nil {
				cp := *prev
				m = &cp
			}
			set(&m.Title, c.title)
			cat, sev := string(m.Category), string(m.Severity)
			set(&cat, c.category)
			set(&sev, c.severity)
			m.Category, m.Severity = model.Category(cat), model.Severity(sev)
			set(&m.Body, c.body)
			if c.services != nil {
				m.Services = *c.services
			}
			if c.tags != nil {
				m.Tags = *c.tags
			}
			if c.isMajor != nil {
				m.IsMajorChange = *c.isMajor
			}
			setT(&m.ActionRequiredBy, c.actionBy)
			setT(&m.Start, c.start)
			setT(&m.End, c.end)
			if c.details != nil {
				m.Details = *c.details
			}
			m.LastModified = st.Time.Add(itemOffset(k))
			if c.attachments != nil {
				m.Attachments = nil
				for _, a := range *c.attachments {
					m.Attachments = append(m.Attachments, model.Attachment{ID: attachmentID(c.id, a.Name), Name: a.Name,
						ContentType: a.ContentType, Size: a.Size, LastModified: m.LastModified})
				}
			}
			m.HasAttachments = len(m.Attachments) > 0
			k++
			msgs[c.id] = m
			it, err := encodeMessage(m)
			if err != nil {
				return nil, err
			}
			encM[c.id] = it
		}
		for _, id := range st.removeIssues {
			delete(issues, id)
			delete(encI, id)
		}
		for _, id := range st.removeMessages {
			delete(msgs, id)
			delete(encM, id)
		}
		snap, err := newSnapshot(encI, encM, svcOrder, svcs)
		if err != nil {
			return nil, err
		}
		v.snaps = append(v.snaps, snap)
	}
	return v, nil
}

// LoadScenario registers the scenario's tenants and serves its timeline from
// now on, replacing any previous scenario or replay. State is a pure function
// of the Clock: at clock time t every step with Time <= t is applied.
func (s *Server) LoadScenario(sc *Scenario) error {
	cs, err := compileScenario(sc)
	if err != nil {
		return fmt.Errorf("load scenario %s: %w", sc.Name, err)
	}
	for _, t := range sc.Tenants {
		s.AddTenant(Tenant{ID: t.ID, ClientID: t.ClientID, ClientSecret: t.ClientSecret})
	}
	s.mu.Lock()
	s.stepFaults = map[[2]int]*faultState{}
	s.mu.Unlock()
	s.content.Store(cs)
	return nil
}

func compileScenario(sc *Scenario) (*contentSource, error) {
	cs := &contentSource{scenario: sc, views: map[string]*view{}}
	def, err := buildView(sc, "")
	if err != nil {
		return nil, err
	}
	cs.def = def
	for _, st := range sc.Steps {
		for _, t := range st.Tenants {
			key := strings.ToLower(t)
			if cs.views[key] != nil {
				continue
			}
			v, err := buildView(sc, t)
			if err != nil {
				return nil, err
			}
			cs.views[key] = v
		}
	}
	for _, st := range sc.Steps {
		cs.times = append(cs.times, st.Time)
	}
	return cs, nil
}

// ApplyUntil is a convenience for drivers holding a SteppedClock: it reports
// how many steps are visible at t. State itself is computed from the clock.
func (s *Server) ApplyUntil(t time.Time) int {
	cs := s.content.Load()
	return cs.stepsAt(t)
}

// GenerateScenario builds a scenario with n issues and m messages, all
// visible at start, for benchmarks with many tenants (they share the items).
func GenerateScenario(start time.Time, n, m int) *Scenario {
	st := Step{At: 0, Time: start, Note: "generated"}
	for i := 0; i < n; i++ {
		post := fmt.Sprintf("Title: Generated issue %d\nUser impact: Users may be unable to do thing %d.\nCurrent status: We're investigating.", i, i)
		st.issues = append(st.issues, issueChange{
			id: fmt.Sprintf("GN%06d", i), title: optStr{true, fmt.Sprintf("Generated issue %d", i)},
			service: optStr{true, "Exchange Online"}, feature: optStr{true, "E-Mail and calendar access"},
			featureGroup: optStr{true, "Networking"}, class: optStr{true, "incident"}, st: optStr{true, "investigating"},
			impact: optStr{true, "Users may be unable to access email."}, post: &post,
		})
	}
	for i := 0; i < m; i++ {
		st.messages = append(st.messages, messageChange{
			id: fmt.Sprintf("MC%06d", i), title: optStr{true, fmt.Sprintf("Generated message %d", i)},
			category: optStr{true, "planForChange"}, severity: optStr{true, "normal"},
			services: &[]string{"SharePoint Online"}, tags: &[]string{"Admin impact"},
			body: optStr{true, "<p>Generated body.</p>"},
		})
	}
	st.services = []model.ServiceHealth{{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceDegradation}}
	return &Scenario{Name: "generated", Start: start, Steps: []Step{st}}
}

package sim

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// contentSource is what the Graph handlers serve: a compiled scenario or a
// replay. It is immutable once stored.
type contentSource struct {
	scenario *Scenario
	def      *view            // for tenants no step names
	views    map[string]*view // lower-case tenant id → view
	times    []time.Time      // step times
	replay   *Replay
}

func (cs *contentSource) stepsAt(t time.Time) int {
	return sort.Search(len(cs.times), func(i int) bool { return cs.times[i].After(t) })
}

func (cs *contentSource) snapshotFor(tenant string, t time.Time) *snapshot {
	if cs.def == nil {
		return emptySnapshot()
	}
	v := cs.views[strings.ToLower(tenant)]
	if v == nil {
		v = cs.def
	}
	return v.snaps[cs.stepsAt(t)]
}

// item is one issue or message, already encoded as Graph sends it.
type item struct {
	id      string
	lastMod time.Time
	service string // issues: service display name
	status  string // issues: status
	raw     []byte
	atts    []model.Attachment
	attRaw  [][]byte
}

type svcItem struct {
	id, name string
	raw      []byte // without issues
	svc      model.ServiceHealth
}

type snapshot struct {
	issues, messages []*item // lastModifiedDateTime descending
	issueByID        map[string]*item
	msgByID          map[string]*item
	services         []*svcItem
}

func emptySnapshot() *snapshot {
	return &snapshot{issueByID: map[string]*item{}, msgByID: map[string]*item{}}
}

func newSnapshot(encI, encM map[string]*item, svcOrder []string, svcs map[string]model.ServiceHealth) (*snapshot, error) {
	sn := &snapshot{issueByID: make(map[string]*item, len(encI)), msgByID: make(map[string]*item, len(encM))}
	for id, it := range encI {
		sn.issues = append(sn.issues, it)
		sn.issueByID[strings.ToLower(id)] = it
	}
	for id, it := range encM {
		sn.messages = append(sn.messages, it)
		sn.msgByID[strings.ToLower(id)] = it
	}
	byMod := func(l []*item) {
		sort.Slice(l, func(i, j int) bool {
			if !l[i].lastMod.Equal(l[j].lastMod) {
				return l[i].lastMod.After(l[j].lastMod)
			}
			return l[i].id < l[j].id
		})
	}
	byMod(sn.issues)
	byMod(sn.messages)
	for _, id := range svcOrder {
		sv, ok := svcs[id]
		if !ok {
			continue
		}
		raw, err := marshal(wireService{Service: sv.Service, Status: string(sv.Status), ID: sv.ID})
		if err != nil {
			return nil, err
		}
		sn.services = append(sn.services, &svcItem{id: sv.ID, name: sv.Service, raw: raw, svc: sv})
	}
	return sn, nil
}

// Wire shapes: field order and null handling as Graph sends them.
type wireKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type wireBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type wirePost struct {
	CreatedDateTime string   `json:"createdDateTime"`
	PostType        string   `json:"postType"`
	Description     wireBody `json:"description"`
}

type wireIssue struct {
	StartDateTime        *string    `json:"startDateTime"`
	EndDateTime          *string    `json:"endDateTime"`
	LastModifiedDateTime string     `json:"lastModifiedDateTime"`
	Title                string     `json:"title"`
	ID                   string     `json:"id"`
	ImpactDescription    string     `json:"impactDescription"`
	Classification       string     `json:"classification"`
	Origin               string     `json:"origin"`
	Status               string     `json:"status"`
	Service              string     `json:"service"`
	Feature              *string    `json:"feature"`
	FeatureGroup         *string    `json:"featureGroup"`
	IsResolved           bool       `json:"isResolved"`
	HighImpact           *bool      `json:"highImpact"`
	Details              []wireKV   `json:"details"`
	Posts                []wirePost `json:"posts"`
}

type wireMessage struct {
	StartDateTime            *string   `json:"startDateTime"`
	EndDateTime              *string   `json:"endDateTime"`
	LastModifiedDateTime     string    `json:"lastModifiedDateTime"`
	Title                    string    `json:"title"`
	ID                       string    `json:"id"`
	Category                 string    `json:"category"`
	Severity                 string    `json:"severity"`
	Tags                     []string  `json:"tags"`
	IsMajorChange            bool      `json:"isMajorChange"`
	ActionRequiredByDateTime *string   `json:"actionRequiredByDateTime"`
	Services                 []string  `json:"services"`
	ExpiryDateTime           *string   `json:"expiryDateTime"`
	HasAttachments           bool      `json:"hasAttachments"`
	ViewPoint                *struct{} `json:"viewPoint"`
	Details                  []wireKV  `json:"details"`
	Body                     wireBody  `json:"body"`
}

type wireAttachment struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	ContentType          string `json:"contentType"`
	Size                 int64  `json:"size"`
	LastModifiedDateTime string `json:"lastModifiedDateTime"`
	IsInline             bool   `json:"isInline"`
}

type wireService struct {
	Service string             `json:"service"`
	Status  string             `json:"status"`
	ID      string             `json:"id"`
	Issues  *[]json.RawMessage `json:"issues,omitempty"`
}

// Timestamp styles seen in real responses.
const (
	fmt7   = "2006-01-02T15:04:05.0000000Z"
	fmtSec = "2006-01-02T15:04:05Z"
)

func fmtMod(t time.Time) string { return t.UTC().Format(fmt7) }

// fmtPoint formats start/end times: whole seconds when possible.
func fmtPoint(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	s := t.Format(time.RFC3339Nano)
	if t.Nanosecond() == 0 {
		s = t.Format(fmtSec)
	}
	return &s
}

func strOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func wireKVs(in []model.KeyValue) []wireKV {
	out := make([]wireKV, 0, len(in))
	for _, kv := range in {
		out = append(out, wireKV(kv))
	}
	return out
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func encodeIssue(is *model.Issue) (*item, error) {
	w := wireIssue{
		StartDateTime: fmtPoint(is.Start), EndDateTime: fmtPoint(is.End),
		LastModifiedDateTime: fmtMod(is.LastModified), Title: is.Title, ID: is.ID,
		ImpactDescription: is.ImpactDescription, Classification: string(is.Classification),
		Origin: string(is.Origin), Status: string(is.Status), Service: is.Service,
		Feature: strOrNull(is.Feature), FeatureGroup: strOrNull(is.FeatureGroup), IsResolved: is.IsResolved,
		Details: wireKVs(is.Details), Posts: make([]wirePost, 0, len(is.Posts)),
	}
	for _, p := range is.Posts {
		w.Posts = append(w.Posts, wirePost{CreatedDateTime: p.Created.UTC().Format(time.RFC3339Nano),
			PostType: string(p.Type), Description: wireBody{ContentType: p.ContentType, Content: p.Content}})
	}
	raw, err := marshal(w)
	if err != nil {
		return nil, err
	}
	return &item{id: is.ID, lastMod: is.LastModified, service: is.Service, status: string(is.Status), raw: raw}, nil
}

func encodeMessage(m *model.Message) (*item, error) {
	w := wireMessage{
		StartDateTime: fmtPoint(m.Start), EndDateTime: fmtPoint(m.End),
		LastModifiedDateTime: fmtMod(m.LastModified), Title: m.Title, ID: m.ID,
		Category: string(m.Category), Severity: string(m.Severity), Tags: m.Tags,
		IsMajorChange: m.IsMajorChange, ActionRequiredByDateTime: fmtPoint(m.ActionRequiredBy),
		Services: m.Services, HasAttachments: m.HasAttachments, Details: wireKVs(m.Details),
		Body: wireBody{ContentType: m.BodyType, Content: m.Body},
	}
	if w.Tags == nil {
		w.Tags = []string{}
	}
	if w.Services == nil {
		w.Services = []string{}
	}
	if w.Body.ContentType == "" {
		w.Body.ContentType = "html"
	}
	raw, err := marshal(w)
	if err != nil {
		return nil, err
	}
	it := &item{id: m.ID, lastMod: m.LastModified, raw: raw, atts: m.Attachments}
	for _, a := range m.Attachments {
		ar, err := marshal(wireAttachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
			LastModifiedDateTime: fmtMod(a.LastModified)})
		if err != nil {
			return nil, err
		}
		it.attRaw = append(it.attRaw, ar)
	}
	return it, nil
}

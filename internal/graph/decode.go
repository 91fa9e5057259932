package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// The wire structs mirror the Graph JSON with plain Go types. encoding/json
// skips a field whose JSON type does not fit (a number where a string is
// expected, an object where a list is expected) and reports it as an
// *json.UnmarshalTypeError after decoding everything else; decodePage ignores
// those, so one odd field never fails a page. Times are decoded as strings
// and parsed leniently by parseTime.

type wireBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type wireKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type wirePost struct {
	CreatedDateTime string   `json:"createdDateTime"`
	PostType        string   `json:"postType"`
	Description     wireBody `json:"description"`
}

type wireIssue struct {
	ID                   string      `json:"id"`
	Title                string      `json:"title"`
	Service              string      `json:"service"`
	Feature              string      `json:"feature"`
	FeatureGroup         string      `json:"featureGroup"`
	Classification       string      `json:"classification"`
	Origin               string      `json:"origin"`
	Status               string      `json:"status"`
	ImpactDescription    string      `json:"impactDescription"`
	IsResolved           lenientBool `json:"isResolved"`
	StartDateTime        string      `json:"startDateTime"`
	EndDateTime          string      `json:"endDateTime"`
	LastModifiedDateTime string      `json:"lastModifiedDateTime"`
	Details              []wireKV    `json:"details"`
	Posts                []wirePost  `json:"posts"`
}

type wireAttachment struct {
	ID                   string      `json:"id"`
	Name                 string      `json:"name"`
	ContentType          string      `json:"contentType"`
	Size                 json.Number `json:"size"`
	LastModifiedDateTime string      `json:"lastModifiedDateTime"`
}

type wireMessage struct {
	ID                       string           `json:"id"`
	Title                    string           `json:"title"`
	Category                 string           `json:"category"`
	Severity                 string           `json:"severity"`
	Services                 []string         `json:"services"`
	Tags                     []string         `json:"tags"`
	IsMajorChange            lenientBool      `json:"isMajorChange"`
	ActionRequiredByDateTime string           `json:"actionRequiredByDateTime"`
	StartDateTime            string           `json:"startDateTime"`
	EndDateTime              string           `json:"endDateTime"`
	LastModifiedDateTime     string           `json:"lastModifiedDateTime"`
	Body                     wireBody         `json:"body"`
	HasAttachments           lenientBool      `json:"hasAttachments"`
	Attachments              []wireAttachment `json:"attachments"`
	Details                  []wireKV         `json:"details"`
}

type wireHealth struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Status  string `json:"status"`
}

// wirePage is one OData collection page. Value is a pointer so that a missing
// or null "value" can be told apart from an empty list.
type wirePage[T any] struct {
	Value    *[]T   `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// lenientBool accepts true/false, null, and the strings "true"/"false" in
// any case; anything else is false.
type lenientBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *lenientBool) UnmarshalJSON(data []byte) error {
	s := string(data)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	*b = lenientBool(strings.EqualFold(s, "true") || s == "1")
	return nil
}

// decodePage decodes one collection page of what into page and checks its
// shape. Type mismatches inside items are ignored; a body that is not JSON,
// or whose value is missing or not an array, is an error.
func decodePage[T any](what string, data []byte, page *wirePage[T]) error {
	err := json.Unmarshal(data, page)
	if err != nil {
		var ute *json.UnmarshalTypeError
		if !errors.As(err, &ute) {
			return fmt.Errorf("decode %s page: %w", what, err)
		}
		if ute.Field == "value" {
			return fmt.Errorf("decode %s page: \"value\" is a JSON %s, not an array", what, ute.Value)
		}
		if ute.Field == "" {
			return fmt.Errorf("decode %s page: body is a JSON %s, not an object", what, ute.Value)
		}
		// Any other mismatch is one odd field: keep the rest.
	}
	if page.Value == nil {
		return fmt.Errorf("decode %s page: no \"value\" array in the body", what)
	}
	return nil
}

// DecodeIssues decodes one page of /admin/serviceAnnouncement/issues and
// returns its items and its @odata.nextLink ("" on the last page). Items
// without an id are dropped.
func DecodeIssues(data []byte) (items []model.Issue, nextLink string, err error) {
	var page wirePage[wireIssue]
	if err := decodePage("issues", data, &page); err != nil {
		return nil, "", err
	}
	items = make([]model.Issue, 0, len(*page.Value))
	for i := range *page.Value {
		w := &(*page.Value)[i]
		if id := str(w.ID); id != "" {
			items = append(items, w.issue(id))
		}
	}
	return items, str(page.NextLink), nil
}

func (w *wireIssue) issue(id string) model.Issue {
	is := model.Issue{
		ID:                id,
		Title:             str(w.Title),
		Service:           str(w.Service),
		Feature:           str(w.Feature),
		FeatureGroup:      str(w.FeatureGroup),
		Classification:    model.ParseClassification(str(w.Classification)),
		Origin:            model.ParseOrigin(str(w.Origin)),
		Status:            model.ParseStatus(str(w.Status)),
		ImpactDescription: str(w.ImpactDescription),
		IsResolved:        bool(w.IsResolved),
		Start:             parseTime(w.StartDateTime),
		End:               parseTime(w.EndDateTime),
		LastModified:      parseTime(w.LastModifiedDateTime),
		Details:           details(w.Details),
	}
	if len(w.Posts) > 0 {
		is.Posts = make([]model.Post, len(w.Posts))
		for k := range w.Posts {
			p := &w.Posts[k]
			is.Posts[k] = model.Post{
				Created:     parseTime(p.CreatedDateTime),
				Type:        model.ParsePostType(str(p.PostType)),
				ContentType: lower(p.Description.ContentType),
				Content:     str(p.Description.Content),
			}
		}
	}
	return is
}

// DecodeMessages decodes one page of /admin/serviceAnnouncement/messages.
func DecodeMessages(data []byte) ([]model.Message, string, error) {
	var page wirePage[wireMessage]
	if err := decodePage("messages", data, &page); err != nil {
		return nil, "", err
	}
	items := make([]model.Message, 0, len(*page.Value))
	for i := range *page.Value {
		w := &(*page.Value)[i]
		id := str(w.ID)
		if id == "" {
			continue
		}
		m := model.Message{
			ID:               id,
			Title:            str(w.Title),
			Category:         model.ParseCategory(str(w.Category)),
			Severity:         model.ParseSeverity(str(w.Severity)),
			Services:         strs(w.Services),
			Tags:             strs(w.Tags),
			IsMajorChange:    bool(w.IsMajorChange),
			ActionRequiredBy: parseTime(w.ActionRequiredByDateTime),
			Start:            parseTime(w.StartDateTime),
			End:              parseTime(w.EndDateTime),
			LastModified:     parseTime(w.LastModifiedDateTime),
			BodyType:         lower(w.Body.ContentType),
			Body:             str(w.Body.Content),
			HasAttachments:   bool(w.HasAttachments),
			Details:          details(w.Details),
		}
		if len(w.Attachments) > 0 {
			m.Attachments = attachments(w.Attachments)
			m.HasAttachments = m.HasAttachments || len(m.Attachments) > 0
		}
		items = append(items, m)
	}
	return items, str(page.NextLink), nil
}

// DecodeHealthOverviews decodes one page of
// /admin/serviceAnnouncement/healthOverviews.
func DecodeHealthOverviews(data []byte) ([]model.ServiceHealth, string, error) {
	var page wirePage[wireHealth]
	if err := decodePage("health overviews", data, &page); err != nil {
		return nil, "", err
	}
	items := make([]model.ServiceHealth, 0, len(*page.Value))
	for _, w := range *page.Value {
		id := str(w.ID)
		if id == "" {
			continue
		}
		items = append(items, model.ServiceHealth{ID: id, Service: str(w.Service), Status: model.ParseStatus(str(w.Status))})
	}
	return items, str(page.NextLink), nil
}

// DecodeAttachments decodes one page of
// /admin/serviceAnnouncement/messages/{id}/attachments.
func DecodeAttachments(data []byte) ([]model.Attachment, string, error) {
	var page wirePage[wireAttachment]
	if err := decodePage("attachments", data, &page); err != nil {
		return nil, "", err
	}
	return attachments(*page.Value), str(page.NextLink), nil
}

func attachments(ws []wireAttachment) []model.Attachment {
	out := make([]model.Attachment, 0, len(ws))
	for i := range ws {
		w := &ws[i]
		id := str(w.ID)
		if id == "" {
			continue
		}
		a := model.Attachment{
			ID:           id,
			Name:         str(w.Name),
			ContentType:  str(w.ContentType),
			LastModified: parseTime(w.LastModifiedDateTime),
		}
		if n, err := w.Size.Int64(); err == nil && n > 0 {
			a.Size = n
		} else if f, err := w.Size.Float64(); err == nil && f > 0 && f < 1<<62 {
			a.Size = int64(f)
		}
		out = append(out, a)
	}
	return out
}

func details(ws []wireKV) []model.KeyValue {
	if len(ws) == 0 {
		return nil
	}
	out := make([]model.KeyValue, 0, len(ws))
	for _, w := range ws {
		if n := str(w.Name); n != "" {
			out = append(out, model.KeyValue{Name: n, Value: str(w.Value)})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func strs(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := ss[:0]
	for _, s := range ss {
		if s = str(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// str maps the string "null" (seen in Microsoft's own examples) to "".
func str(s string) string {
	if s == "null" {
		return ""
	}
	return s
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(str(s))) }

// parseTime parses a Graph DateTimeOffset leniently: RFC 3339 with 0–9
// fraction digits and Z or an offset, or the same without a zone (taken as
// UTC), or a bare date. "", "null" and anything unparseable give the zero
// time. The result is in UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	layouts := [...]string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

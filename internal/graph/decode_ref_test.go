package graph

// This file keeps the encoding/json based page decoder that decode.go
// replaced, as the reference the hand-written decoder is checked against
// (TestDecodeMatchesReference, FuzzDecodeMatchesReference).

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// The wire structs mirror the Graph JSON with plain Go types. encoding/json
// skips a field whose JSON type does not fit (a number where a string is
// expected, an object where a list is expected) and reports it as an
// *json.UnmarshalTypeError after decoding everything else; refDecodePage ignores
// those, so one odd field never fails a page. Times are decoded as strings
// and parsed leniently by parseTime.

type refWireBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type refWireKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type refWirePost struct {
	CreatedDateTime string      `json:"createdDateTime"`
	PostType        string      `json:"postType"`
	Description     refWireBody `json:"description"`
	// ContentType and Content are the flat shape of an older beta.
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type refWireIssue struct {
	ID                   string         `json:"id"`
	Title                string         `json:"title"`
	Service              string         `json:"service"`
	Feature              string         `json:"feature"`
	FeatureGroup         string         `json:"featureGroup"`
	Classification       string         `json:"classification"`
	Origin               string         `json:"origin"`
	Status               string         `json:"status"`
	ImpactDescription    string         `json:"impactDescription"`
	IsResolved           refLenientBool `json:"isResolved"`
	StartDateTime        string         `json:"startDateTime"`
	EndDateTime          string         `json:"endDateTime"`
	LastModifiedDateTime string         `json:"lastModifiedDateTime"`
	Details              []refWireKV    `json:"details"`
	Posts                []refWirePost  `json:"posts"`
}

type refWireAttachment struct {
	ID                   string      `json:"id"`
	Name                 string      `json:"name"`
	ContentType          string      `json:"contentType"`
	Size                 json.Number `json:"size"`
	LastModifiedDateTime string      `json:"lastModifiedDateTime"`
}

type refWireMessage struct {
	ID                       string              `json:"id"`
	Title                    string              `json:"title"`
	Category                 string              `json:"category"`
	Severity                 string              `json:"severity"`
	Services                 []string            `json:"services"`
	Tags                     []string            `json:"tags"`
	IsMajorChange            refLenientBool      `json:"isMajorChange"`
	ActionRequiredByDateTime string              `json:"actionRequiredByDateTime"`
	StartDateTime            string              `json:"startDateTime"`
	EndDateTime              string              `json:"endDateTime"`
	LastModifiedDateTime     string              `json:"lastModifiedDateTime"`
	Body                     refWireBody         `json:"body"`
	HasAttachments           refLenientBool      `json:"hasAttachments"`
	Attachments              []refWireAttachment `json:"attachments"`
	Details                  []refWireKV         `json:"details"`
}

type refWireHealth struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Status  string `json:"status"`
}

// refWirePage is one OData collection page. Value is a pointer so that a missing
// or null "value" can be told apart from an empty list.
type refWirePage[T any] struct {
	Value    *[]T   `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// refLenientBool accepts true/false, null, and the strings "true"/"false" in
// any case; anything else is false.
type refLenientBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *refLenientBool) UnmarshalJSON(data []byte) error {
	s := string(data)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	*b = refLenientBool(strings.EqualFold(s, "true") || s == "1")
	return nil
}

// refDecodePage decodes one collection page of what into page and checks its
// shape. Type mismatches inside items are ignored; a body that is not JSON,
// or whose value is missing or not an array, is an error.
func refDecodePage[T any](what string, data []byte, page *refWirePage[T]) error {
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

// refDecodeIssues decodes one page of /admin/serviceAnnouncement/issues and
// returns its items and its @odata.nextLink ("" on the last page). Items
// without an id are dropped.
func refDecodeIssues(data []byte) (items []model.Issue, nextLink string, err error) {
	var page refWirePage[refWireIssue]
	if err := refDecodePage("issues", data, &page); err != nil {
		return nil, "", err
	}
	items = make([]model.Issue, 0, len(*page.Value))
	for i := range *page.Value {
		w := &(*page.Value)[i]
		if id := str(w.ID); id != "" {
			items = append(items, w.refIssue(id))
		}
	}
	return items, str(page.NextLink), nil
}

func (w *refWireIssue) refIssue(id string) model.Issue {
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
		Details:           refDetails(w.Details),
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
			if is.Posts[k].Content == "" {
				is.Posts[k].Content = str(p.Content)
			}
			if is.Posts[k].ContentType == "" {
				is.Posts[k].ContentType = lower(p.ContentType)
			}
			if is.Posts[k].ContentType == "html" {
				is.Posts[k].Content = cutHTML(is.Posts[k].Content)
			}
		}
	}
	return is
}

// refDecodeMessages decodes one page of /admin/serviceAnnouncement/messages.
func refDecodeMessages(data []byte) ([]model.Message, string, error) {
	var page refWirePage[refWireMessage]
	if err := refDecodePage("messages", data, &page); err != nil {
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
			Services:         refStrs(w.Services),
			Tags:             refStrs(w.Tags),
			IsMajorChange:    bool(w.IsMajorChange),
			ActionRequiredBy: parseTime(w.ActionRequiredByDateTime),
			Start:            parseTime(w.StartDateTime),
			End:              parseTime(w.EndDateTime),
			LastModified:     parseTime(w.LastModifiedDateTime),
			BodyType:         lower(w.Body.ContentType),
			Body:             str(w.Body.Content),
			HasAttachments:   bool(w.HasAttachments),
			Details:          refDetails(w.Details),
		}
		if m.BodyType == "html" {
			m.Body = cutHTML(m.Body)
		}
		if len(w.Attachments) > 0 {
			m.Attachments = refAttachments(w.Attachments)
			m.HasAttachments = m.HasAttachments || len(m.Attachments) > 0
		}
		items = append(items, m)
	}
	return items, str(page.NextLink), nil
}

// refDecodeHealthOverviews decodes one page of
// /admin/serviceAnnouncement/healthOverviews.
func refDecodeHealthOverviews(data []byte) ([]model.ServiceHealth, string, error) {
	var page refWirePage[refWireHealth]
	if err := refDecodePage("health overviews", data, &page); err != nil {
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

// refDecodeAttachments decodes one page of
// /admin/serviceAnnouncement/messages/{id}/attachments.
func refDecodeAttachments(data []byte) ([]model.Attachment, string, error) {
	var page refWirePage[refWireAttachment]
	if err := refDecodePage("attachments", data, &page); err != nil {
		return nil, "", err
	}
	return refAttachments(*page.Value), str(page.NextLink), nil
}

func refAttachments(ws []refWireAttachment) []model.Attachment {
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

func refDetails(ws []refWireKV) []model.KeyValue {
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

func refStrs(ss []string) []string {
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

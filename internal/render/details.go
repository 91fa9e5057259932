package render

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// details are the Message Center details a notice shows: Microsoft's
// summary, its external link, the Microsoft 365 Roadmap IDs, the
// platforms, the feature status, and any other key (shown as it is: keys
// change over time, and an unknown one is shown, never dropped).
type details struct {
	summary, external, platforms, featureStatus string
	roadmap                                     []string
	other                                       []model.KeyValue
}

var roadmapID = regexp.MustCompile(`\d{4,7}`)

// messageDetails reads m.Details. Keys are compared without case;
// NotifyInApp (a flag for the admin center) is left out.
func messageDetails(m *model.Message) details {
	var d details
	for _, kv := range m.Details {
		v := strings.TrimSpace(kv.Value)
		if v == "" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(kv.Name)) {
		case "notifyinapp":
		case "summary":
			d.summary = oneLine(htmltext.Text(v))
		case "externallink":
			if u, err := url.Parse(v); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
				d.external = v
			} else {
				d.other = append(d.other, model.KeyValue{Name: kv.Name, Value: htmltext.Excerpt(v, 300)})
			}
		case "roadmapids":
			d.roadmap = append(d.roadmap, roadmapID.FindAllString(v, -1)...)
		case "platforms":
			d.platforms = oneLine(v)
		case "featurestatusjson":
			d.featureStatus = featureStatus(v)
		default:
			if strings.TrimSpace(kv.Name) != "" {
				d.other = append(d.other, model.KeyValue{Name: strings.TrimSpace(kv.Name), Value: htmltext.Excerpt(v, 300)})
			}
		}
	}
	return d
}

// RoadmapURL is the Microsoft 365 Roadmap search for one feature ID.
func RoadmapURL(id string) string {
	return "https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=" + url.QueryEscape(id)
}

// featureStatus shows FeatureStatusJson, whose shape Microsoft does not
// document, as "name: value; …" when it is a flat object (or a list of
// them), else as its text, cut to 300 characters.
func featureStatus(v string) string {
	var parts []string
	flat := func(m map[string]any) bool {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var p []string
		for _, k := range keys {
			switch x := m[k].(type) {
			case string, float64, bool:
				b, _ := json.Marshal(x)
				p = append(p, k+": "+strings.Trim(string(b), `"`))
			case nil:
			default:
				return false
			}
		}
		parts = append(parts, strings.Join(p, ", "))
		return true
	}
	var obj map[string]any
	var list []map[string]any
	switch {
	case json.Unmarshal([]byte(v), &obj) == nil && flat(obj):
	case json.Unmarshal([]byte(v), &list) == nil:
		for _, m := range list {
			if !flat(m) {
				parts = nil
				break
			}
		}
	}
	if len(parts) == 0 {
		return htmltext.Excerpt(v, 300)
	}
	return htmltext.Excerpt(strings.Join(parts, "; "), 300)
}

package milestone

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
)

// RoadmapURL is the Microsoft 365 Roadmap page that finds one roadmap ID.
const RoadmapURL = "https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms="

// RoadmapLink returns the Microsoft 365 Roadmap page of a roadmap ID.
func RoadmapLink(id string) string { return RoadmapURL + id }

var (
	// roadmapText finds "Roadmap ID 382645", "Roadmap IDs 409225 and
	// 409226", "Roadmap ID: 1, 2".
	roadmapText = regexp.MustCompile(`(?i)roadmap\s+ids?\s*:?\s*(\d{4,7}(?:\s*(?:,|and|&|/)\s*\d{4,7})*)`)
	// roadmapLink finds the roadmap's search link.
	roadmapLink = regexp.MustCompile(`(?i)microsoft-365/roadmap\?[^\s"'<>]*?searchterms=(\d{4,7})`)
	digits      = regexp.MustCompile(`\d{4,7}`)
)

// RoadmapIDs returns the Microsoft 365 Roadmap IDs of a post: those of its
// RoadmapIds detail, then those its body names or links, each once.
func RoadmapIDs(m *model.Message) []string {
	var ids []string
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, v := range detailList(m.Details, "RoadmapIds") {
		for _, id := range digits.FindAllString(v, -1) {
			add(id)
		}
	}
	for _, sm := range roadmapLink.FindAllStringSubmatch(m.Body, -1) {
		add(sm[1])
	}
	for _, sm := range roadmapText.FindAllStringSubmatch(htmltext.Text(m.Body), -1) {
		for _, id := range digits.FindAllString(sm[1], -1) {
			add(id)
		}
	}
	return ids
}

// detailList splits the comma-separated values of the details named name.
func detailList(kvs []model.KeyValue, name string) []string {
	var out []string
	for _, kv := range kvs {
		if !strings.EqualFold(kv.Name, name) {
			continue
		}
		for _, v := range strings.Split(kv.Value, ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// FeatureStatus is one entry of a post's FeatureStatusJson detail: how far
// the feature of a roadmap ID has rolled out on a platform.
type FeatureStatus struct {
	RoadmapID string    `json:"RoadmapId"`
	Platform  string    `json:"Platform"`
	Status    string    `json:"Status"`     // e.g. InRollout, Launched
	Ring      string    `json:"LatestRing"` // e.g. TargetedRelease
	Updated   time.Time `json:"-"`
}

// FeatureStatuses returns the entries of the FeatureStatusJson detail
// ({"<roadmap ID>": [{"RoadmapId", "Platform", "Status", "LatestRing",
// "LastUpdateTime"}, …]}), ordered by roadmap ID and platform, without
// those whose status is FeatureRolloutStatusNotSupported. A detail that
// does not decode gives none: it is Microsoft's, not documented, and may
// change.
func FeatureStatuses(m *model.Message) []FeatureStatus {
	var out []FeatureStatus
	for _, kv := range m.Details {
		if !strings.EqualFold(kv.Name, "FeatureStatusJson") {
			continue
		}
		var doc map[string][]struct {
			FeatureStatus
			LastUpdateTime string `json:"LastUpdateTime"`
		}
		if json.Unmarshal([]byte(kv.Value), &doc) != nil {
			continue
		}
		for id, list := range doc {
			for _, e := range list {
				if e.Status == "" || strings.EqualFold(e.Status, "FeatureRolloutStatusNotSupported") {
					continue
				}
				fs := e.FeatureStatus
				if fs.RoadmapID == "" {
					fs.RoadmapID = id
				}
				fs.Updated, _ = time.Parse(time.RFC3339, e.LastUpdateTime)
				out = append(out, fs)
			}
		}
	}
	slices.SortFunc(out, func(a, b FeatureStatus) int {
		if c := strings.Compare(a.RoadmapID, b.RoadmapID); c != 0 {
			return c
		}
		return strings.Compare(a.Platform, b.Platform)
	})
	return out
}

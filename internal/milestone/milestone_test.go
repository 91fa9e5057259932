package milestone

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRangeString(t *testing.T) {
	exact := time.Date(2024, 6, 30, 7, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		r    Range
		want string
	}{
		{Range{}, ""},
		{Range{From: day("2024-06-11"), To: day("2024-06-20")}, "2024-06-11/2024-06-20"},
		{Range{From: day("2024-06-14"), To: day("2024-06-14")}, "2024-06-14"},
		{Range{From: exact, To: exact}, "2024-06-30T07:00:00Z"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			back, ok := ParseRange(tt.want)
			if ok != !tt.r.IsZero() || !back.Same(tt.r) {
				t.Errorf("ParseRange(%q) = %v, %v", tt.want, back, ok)
			}
		})
	}
	if _, ok := ParseRange("2024-06-20/2024-06-11"); ok {
		t.Error("ParseRange accepts a range that ends before it starts")
	}
}

// TestParseText covers date phrases one by one.
func TestParseText(t *testing.T) {
	pub := time.Date(2024, 5, 2, 17, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		body string
		want []string // Name = range
	}{
		{"<p>When this will happen:</p><p>We will begin rolling out early June 2024.</p>", []string{"Rollout begins = 2024-06-01/2024-06-10"}},
		{"<p>When this will happen:</p><p>Complete by late February 2028.</p>", []string{"Rollout complete = 2028-02-21/2028-02-29"}},
		{"<p>When this will happen:</p><p>Rolling out in June 2024.</p>", []string{"Rollout = 2024-06-01/2024-06-30"}},
		{"<p>When this will happen:</p><p>We will begin rolling out in Q4 CY2024.</p>", []string{"Rollout begins = 2024-10-01/2024-12-31"}},
		{"<p>When this will happen:</p><p>Rollout will complete by the end of Q3 CY2024.</p>", []string{"Rollout complete = 2024-09-30"}},
		{"<p>When this will happen:</p><p>Rollout will begin in mid-2025.</p>", []string{"Rollout begins = 2025-05-01/2025-08-31"}},
		{"<p>When this will happen:</p><p>Retirement on 2024-09-30.</p>", []string{"Retirement = 2024-09-30"}},
		{"<p>When this will happen:</p><p>We will begin rolling out on 9/16/2024.</p>", []string{"Rollout begins = 2024-09-16"}},
		{"<p>When this will happen:</p><p>We will begin rolling out in late June to early July 2024.</p>", []string{"Rollout begins = 2024-06-21/2024-07-10"}},
		// A year-less date takes the publication's year, or the next one
		// when it lies well before the publication.
		{"<p>When this will happen:</p><p>We will begin rolling out in mid-June.</p>", []string{"Rollout begins = 2024-06-11/2024-06-20"}},
		{"<p>When this will happen:</p><p>We will begin rolling out in mid-January.</p>", []string{"Rollout begins = 2025-01-11/2025-01-20"}},
		// Outside a When section, a date needs a phase word.
		{"<p>Read our blog post of June 14, 2024. Rollout begins June 20, 2024.</p>", []string{"Rollout begins = 2024-06-20"}},
		// "Updated …" notes are not milestones.
		{"<p>Updated May 20, 2024: we will begin rolling out later than June 1, 2024.</p>", nil},
		// Not dates: a product year, a bare month without a preposition, the verb "may".
		{"<p>When this will happen:</p><p>Office LTSC 2024 may roll out with the 2024 May release.</p>", nil},
		{"<p>When this will happen:</p><p>We will communicate a date later.</p>", nil},
	} {
		t.Run(tt.body, func(t *testing.T) {
			var got []string
			for _, m := range Parse(&model.Message{Body: tt.body, Start: pub}) {
				got = append(got, m.Name()+" = "+m.Range.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("milestones (-want +got):\n%s", diff)
			}
		})
	}
}

func TestName(t *testing.T) {
	for _, tt := range []struct {
		m    Milestone
		want string
	}{
		{Milestone{Ring: RingTargeted, Phase: PhaseBegin}, "Targeted Release: rollout begins"},
		{Milestone{Ring: RingGA, Cloud: CloudGCCHigh, Phase: PhaseComplete}, "General Availability (GCC High): rollout complete"},
		{Milestone{Cloud: CloudDoD, Platform: "Web", Phase: PhaseRollout}, "DoD [Web]: rollout"},
		{Milestone{Phase: PhaseRetire}, "Retirement"},
		{Milestone{Phase: PhaseAction}, "Action required by"},
	} {
		if got := tt.m.Name(); got != tt.want {
			t.Errorf("Name() = %q, want %q", got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	r := func(a, b string) Range { return Range{From: day(a), To: day(b)} }
	tr := func(p Phase, rg Range) Milestone { return Milestone{Ring: RingTargeted, Phase: p, Range: rg} }
	prev := []Milestone{
		tr(PhaseBegin, r("2024-06-01", "2024-06-10")),
		tr(PhaseComplete, r("2024-06-11", "2024-06-20")),
		{Phase: PhaseBegin, Range: r("2024-07-01", "2024-07-10")},
		{Phase: PhaseAction, Range: r("2024-08-01", "2024-08-01")},
	}
	cur := []Milestone{
		tr(PhaseBegin, r("2024-06-01", "2024-06-10")),                              // unchanged
		tr(PhaseComplete, r("2024-07-21", "2024-07-31")),                           // moved
		{Ring: RingGA, Phase: PhaseBegin, Range: r("2024-07-01", "2024-07-10")},    // relabelled: same phase and range
		{Ring: RingGA, Phase: PhaseComplete, Range: r("2024-07-21", "2024-07-31")}, // new
		{Phase: PhaseAction, Range: r("2024-09-01", "2024-09-01")},                 // detect reports it
	}
	want := []Move{
		{Name: "Targeted Release: rollout complete", From: r("2024-06-11", "2024-06-20"), To: r("2024-07-21", "2024-07-31")},
		{Name: "General Availability: rollout complete", To: r("2024-07-21", "2024-07-31")},
	}
	if diff := cmp.Diff(want, Compare(prev, cur)); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	if got := Compare(cur, cur); len(got) != 0 {
		t.Errorf("Compare(cur, cur) = %v, want none", got)
	}
	// Repeated names are told apart by their order.
	twice := []Milestone{{Phase: PhaseRetire, Range: r("2024-08-15", "2024-08-15")}, {Phase: PhaseRetire, Range: r("2024-09-30", "2024-09-30")}}
	later := []Milestone{twice[0], {Phase: PhaseRetire, Range: r("2024-10-31", "2024-10-31")}}
	if diff := cmp.Diff([]string{"Retirement", "Retirement #2"}, Keys(twice)); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	got := Compare(twice, later)
	if len(got) != 1 || got[0].Name != "Retirement #2" {
		t.Errorf("Compare of repeated names = %v", got)
	}
}

func TestRoadmapAndStatus(t *testing.T) {
	m := &model.Message{
		Body: `<p>This message is associated with Microsoft 365 Roadmap IDs 409225 and 409226.</p>` +
			`<p><a href="https://www.microsoft.com/microsoft-365/roadmap?filters=&amp;searchterms=123456">Roadmap</a></p>`,
		Details: []model.KeyValue{
			{Name: "RoadmapIds", Value: "409226, 400001"},
			{Name: "Platforms", Value: "Web, Desktop"},
			{Name: "FeatureStatusJson", Value: `{"409226":[{"RoadmapId":"409226","Platform":"Web","Status":"Launched","LatestRing":"GeneralAvailability","LastUpdateTime":"2024-10-12T00:00:00Z"},` +
				`{"RoadmapId":"409226","Platform":"Android","Status":"FeatureRolloutStatusNotSupported"}],"409225":[{"Platform":"All","Status":"InRollout"}]}`},
		},
		ActionRequiredBy: time.Date(2024, 12, 1, 8, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff([]string{"409226", "400001", "123456", "409225"}, RoadmapIDs(m)); diff != "" {
		t.Errorf("RoadmapIDs (-want +got):\n%s", diff)
	}
	want := []FeatureStatus{
		{RoadmapID: "409225", Platform: "All", Status: "InRollout"},
		{RoadmapID: "409226", Platform: "Web", Status: "Launched", Ring: "GeneralAvailability", Updated: time.Date(2024, 10, 12, 0, 0, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, FeatureStatuses(m)); diff != "" {
		t.Errorf("FeatureStatuses (-want +got):\n%s", diff)
	}
	ms := Parse(m)
	if len(ms) != 1 || ms[0].Phase != PhaseAction || len(ms[0].RoadmapIDs) != 4 || len(ms[0].Platforms) != 2 {
		t.Errorf("Parse = %+v", ms)
	}
	if got := RoadmapLink("409225"); got != "https://www.microsoft.com/microsoft-365/roadmap?filters=&searchterms=409225" {
		t.Errorf("RoadmapLink = %s", got)
	}
	m.Details[2].Value = "{not json"
	if got := FeatureStatuses(m); got != nil {
		t.Errorf("FeatureStatuses of broken JSON = %v", got)
	}
}

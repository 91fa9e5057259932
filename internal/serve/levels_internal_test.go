package serve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

func TestHealthLevel(t *testing.T) {
	tests := []struct {
		status model.Status
		want   level
	}{
		{model.StatusServiceOperational, levelOperational},
		{model.StatusServiceRestored, levelOperational},
		{model.StatusFalsePositive, levelOperational},
		{"", levelOperational},
		{model.StatusInvestigating, levelAdvisory},
		{model.StatusInvestigationSuspended, levelAdvisory},
		{model.Status("somethingNew"), levelAdvisory},
		{model.StatusRestoringService, levelRestoring},
		{model.StatusExtendedRecovery, levelRestoring},
		{model.StatusVerifyingService, levelRestoring},
		{model.StatusServiceDegradation, levelDegradation},
		{model.StatusServiceInterruption, levelInterruption},
	}
	for _, tt := range tests {
		if got := healthLevel(tt.status); got != tt.want {
			t.Errorf("healthLevel(%q) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestIssueLevel(t *testing.T) {
	tests := []struct {
		name string
		is   model.Issue
		want level
	}{
		{"advisory", model.Issue{Classification: model.ClassificationAdvisory, Status: model.StatusInvestigating}, levelAdvisory},
		{"advisory with a degradation status", model.Issue{Classification: model.ClassificationAdvisory, Status: model.StatusServiceDegradation}, levelAdvisory},
		{"incident", model.Issue{Classification: model.ClassificationIncident, Status: model.StatusInvestigating}, levelDegradation},
		{"incident interrupting", model.Issue{Classification: model.ClassificationIncident, Status: model.StatusServiceInterruption}, levelInterruption},
		{"incident restoring", model.Issue{Classification: model.ClassificationIncident, Status: model.StatusRestoringService}, levelRestoring},
		{"advisory restoring", model.Issue{Classification: model.ClassificationAdvisory, Status: model.StatusExtendedRecovery}, levelRestoring},
		{"resolved", model.Issue{Classification: model.ClassificationIncident, Status: model.StatusServiceRestored, IsResolved: true}, levelOperational},
		{"restored, not yet marked resolved", model.Issue{Classification: model.ClassificationIncident, Status: model.StatusServiceRestored}, levelOperational},
	}
	for _, tt := range tests {
		if got := issueLevel(&tt.is); got != tt.want {
			t.Errorf("%s: issueLevel = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCatalogKeys checks that the dashboard's own catalog has every key in
// both languages (enum words aside: other languages take them from
// render's catalogs), so that no page falls back to English or to a key.
func TestCatalogKeys(t *testing.T) {
	ui := uiCatalog()
	keys := func(lang string) []string {
		var out []string
		for k := range ui[lang] {
			if p, _, _ := strings.Cut(k, "."); lang == "en" && (p == "status" || p == "classification" || p == "category" || p == "severity") {
				continue
			}
			out = append(out, k)
		}
		return out
	}
	sorted := cmp.Transformer("sort", func(in []string) map[string]bool {
		m := map[string]bool{}
		for _, k := range in {
			m[k] = true
		}
		return m
	})
	if d := cmp.Diff(keys("en"), keys("ja"), sorted); d != "" {
		t.Errorf("catalog keys differ between en and ja (-en +ja):\n%s", d)
	}
}

func TestRolloutMilestones(t *testing.T) {
	tests := []struct {
		text string
		want []string // kind start end phrase
	}{
		{"Standard Release: We will begin rolling out in early June 2023 and expect to complete by late June 2023.",
			[]string{"rollout-start 2023-06-01 2023-06-11 early June 2023", "rollout-end 2023-06-21 2023-07-01 late June 2023"}},
		{"Standard Release: We will begin rolling out in early July 2023 (previously early June) and expect to complete by mid-July 2023 (previously late June).",
			[]string{"rollout-start 2023-07-01 2023-07-11 early July 2023", "rollout-end 2023-07-11 2023-07-21 mid-July 2023"}},
		{"Rollout will begin in late May 2023 and is expected to be complete by mid-June 2023.",
			[]string{"rollout-start 2023-05-21 2023-06-01 late May 2023", "rollout-end 2023-06-11 2023-06-21 mid-June 2023"}},
		{"We will begin rolling out on June 13, 2023.", []string{"rollout-start 2023-06-13 2023-06-14 June 13, 2023"}},
		{"Retired versions will stop synchronizing after August 31, 2023.", nil},
		{"Updated May 17, 2023: we have moved the retirement date.", nil},
	}
	for _, tt := range tests {
		var got []string
		// The calendar's milestones (internal/milestone) of the rollout's
		// start and end.
		for _, m := range calendarMilestones(view{Lang: "en", ui: uiCatalog()}, &model.Message{Body: tt.text}) {
			if m.kind != "rollout-start" && m.kind != "rollout-end" {
				continue
			}
			got = append(got, m.kind+" "+m.start.Format("2006-01-02")+" "+m.end.Format("2006-01-02")+" "+m.note)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tt.text, d)
		}
	}
}

func TestWordDiff(t *testing.T) {
	mark := func(segs []diffSeg) string {
		var b strings.Builder
		for _, s := range segs {
			if s.Mark {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	tests := []struct{ a, b, wantA, wantB string }{
		{"Action required by: 2023-09-30", "Action required by: 2023-12-31",
			"Action required by: 2023-[09]-[30]", "Action required by: 2023-[12]-[31]"},
		{"We will begin rejecting Basic authentication on September 30, 2023.",
			"We will begin rejecting Basic authentication on December 31, 2023 (previously September 30, 2023).",
			"We will begin rejecting Basic authentication on September 30, 2023.",
			"We will begin rejecting Basic authentication on [December 31, 2023 (previously ]September 30, 2023[)]."},
		{"対応期限: 2023年9月30日", "対応期限: 2023年12月31日", "対応期限: 2023年[9]月[30]日", "対応期限: 2023年[12]月[31]日"},
		{"Completely different words here", "Nothing alike at all, really", "Completely different words here", "Nothing alike at all, really"},
	}
	for _, tt := range tests {
		a, b := wordDiff(tt.a, tt.b)
		if got := mark(a); got != tt.wantA {
			t.Errorf("old side of %q: %q, want %q", tt.a, got, tt.wantA)
		}
		if got := mark(b); got != tt.wantB {
			t.Errorf("new side of %q: %q, want %q", tt.b, got, tt.wantB)
		}
	}
}

func TestFoldDiff(t *testing.T) {
	var a, b []string
	for i := 0; i < 20; i++ {
		a = append(a, "line "+string(rune('a'+i)))
	}
	b = append(b, a...)
	b[10] = "line changed"
	v := view{Lang: "en", ui: uiCatalog()}
	blocks := foldDiff(v, diffLines(a, b))
	var got []string
	for _, bl := range blocks {
		if bl.Fold {
			got = append(got, bl.Label)
			continue
		}
		for _, l := range bl.Lines {
			got = append(got, l.Op+" "+l.Text)
		}
	}
	want := []string{"8 unchanged lines", "= line i", "= line j", "- line k", "+ line changed", "= line l", "= line m", "7 unchanged lines"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("folded diff (-want +got):\n%s", d)
	}
}

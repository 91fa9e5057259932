package model

import "testing"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want Status
	}{
		{"serviceRestored", StatusServiceRestored},
		{"ServiceRestored", StatusServiceRestored},
		{"SERVICERESTORED", StatusServiceRestored},
		{"Service restored", StatusServiceRestored},
		{"PostIncidentReportPublished", StatusPostIncidentReviewPublished},
		{"somethingNew", Status("somethingNew")},
		{" spaced ", Status("spaced")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseStatus(tt.in); got != tt.want {
				t.Errorf("ParseStatus(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if !StatusInvestigating.Known() || Status("somethingNew").Known() || Status("ServiceRestored").Known() {
		t.Error("Known() disagrees with the documented list")
	}
	if ParseCategory("PlanForChange") != CategoryPlanForChange || ParseSeverity("High") != SeverityHigh ||
		ParseClassification("Incident") != ClassificationIncident || ParsePostType("Regular") != PostRegular ||
		ParseOrigin("ThirdParty") != OriginThirdParty {
		t.Error("PascalCase doc spellings not normalized")
	}
}

func TestActive(t *testing.T) {
	if !StatusInvestigating.Active() || StatusServiceRestored.Active() || !Status("brandNew").Active() {
		t.Error("Active() wrong")
	}
}

// TestEnumLists: the lists configuration checks offer are exactly the
// documented members, each parsing to itself.
func TestEnumLists(t *testing.T) {
	if got, want := len(Statuses()), len(statuses)-countAliases(); got != want {
		t.Errorf("Statuses() has %d members, the documented list %d", got, want)
	}
	for _, s := range Statuses() {
		if !s.Known() || ParseStatus(string(s)) != s {
			t.Errorf("status %q does not parse to itself", s)
		}
	}
	for _, c := range Classifications() {
		if ParseClassification(string(c)) != c || classifications[fold(string(c))] != c {
			t.Errorf("classification %q is not documented", c)
		}
	}
	for _, o := range Origins() {
		if origins[fold(string(o))] != o {
			t.Errorf("origin %q is not documented", o)
		}
	}
	for _, c := range Categories() {
		if categories[fold(string(c))] != c {
			t.Errorf("category %q is not documented", c)
		}
	}
	for _, s := range Severities() {
		if severities[fold(string(s))] != s {
			t.Errorf("severity %q is not documented", s)
		}
	}
	if len(Classifications()) != len(classifications) || len(Origins()) != len(origins) ||
		len(Categories()) != len(categories) || len(Severities()) != len(severities) {
		t.Error("a list and its lookup table differ in length")
	}
	seen := map[EventType]bool{}
	for _, e := range EventTypes() {
		if seen[e] || e == EventDigest {
			t.Errorf("event type %q listed twice or not routable", e)
		}
		seen[e] = true
	}
}

// countAliases counts the lookup entries of statuses that are spellings of
// the retired API rather than members.
func countAliases() int {
	n := 0
	for k, v := range statuses {
		if fold(string(v)) != k {
			n++
		}
	}
	return n
}

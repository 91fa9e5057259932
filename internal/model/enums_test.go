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

package model

import "strings"

// Status mirrors serviceHealthStatus. Known values are spelled as on the wire
// (camelCase); an unknown value is kept verbatim.
type Status string

// Classification mirrors serviceHealthClassificationType.
type Classification string

// Origin mirrors serviceHealthOrigin.
type Origin string

// Category mirrors serviceUpdateCategory.
type Category string

// Severity mirrors serviceUpdateSeverity.
type Severity string

// PostType mirrors postType.
type PostType string

// The documented serviceHealthStatus members.
const (
	StatusServiceOperational          Status = "serviceOperational"
	StatusInvestigating               Status = "investigating"
	StatusRestoringService            Status = "restoringService"
	StatusVerifyingService            Status = "verifyingService"
	StatusServiceRestored             Status = "serviceRestored"
	StatusPostIncidentReviewPublished Status = "postIncidentReviewPublished"
	StatusServiceDegradation          Status = "serviceDegradation"
	StatusServiceInterruption         Status = "serviceInterruption"
	StatusExtendedRecovery            Status = "extendedRecovery"
	StatusFalsePositive               Status = "falsePositive"
	StatusInvestigationSuspended      Status = "investigationSuspended"
	StatusResolved                    Status = "resolved"
	StatusMitigatedExternal           Status = "mitigatedExternal"
	StatusMitigated                   Status = "mitigated"
	StatusResolvedExternal            Status = "resolvedExternal"
	StatusConfirmed                   Status = "confirmed"
	StatusReported                    Status = "reported"
	StatusUnknownFutureValue          Status = "unknownFutureValue"
)

// The documented serviceHealthClassificationType members.
const (
	ClassificationAdvisory Classification = "advisory"
	ClassificationIncident Classification = "incident"
)

// The documented serviceHealthOrigin members.
const (
	OriginMicrosoft  Origin = "microsoft"
	OriginThirdParty Origin = "thirdParty"
	OriginCustomer   Origin = "customer"
)

// The documented serviceUpdateCategory members.
const (
	CategoryPreventOrFixIssue Category = "preventOrFixIssue"
	CategoryPlanForChange     Category = "planForChange"
	CategoryStayInformed      Category = "stayInformed"
)

// The documented serviceUpdateSeverity members.
const (
	SeverityNormal   Severity = "normal"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// The documented postType members.
const (
	PostRegular   PostType = "regular"
	PostQuick     PostType = "quick"
	PostStrategic PostType = "strategic"
)

var (
	statuses = canon[Status](
		StatusServiceOperational, StatusInvestigating, StatusRestoringService, StatusVerifyingService,
		StatusServiceRestored, StatusPostIncidentReviewPublished, StatusServiceDegradation,
		StatusServiceInterruption, StatusExtendedRecovery, StatusFalsePositive, StatusInvestigationSuspended,
		StatusResolved, StatusMitigatedExternal, StatusMitigated, StatusResolvedExternal, StatusConfirmed,
		StatusReported, StatusUnknownFutureValue,
		// Spellings of the retired Office 365 Service Communications API.
		alias{"Service restored", StatusServiceRestored},
		alias{"PostIncidentReportPublished", StatusPostIncidentReviewPublished},
		alias{"Post-incident report published", StatusPostIncidentReviewPublished},
		alias{"Service degradation", StatusServiceDegradation},
		alias{"Service interruption", StatusServiceInterruption},
		alias{"Restoring service", StatusRestoringService},
		alias{"Extended recovery", StatusExtendedRecovery},
		alias{"False positive", StatusFalsePositive},
		alias{"Investigation suspended", StatusInvestigationSuspended},
		alias{"Service operational", StatusServiceOperational},
		alias{"ServiceOperational", StatusServiceOperational},
		alias{"Verifying service", StatusVerifyingService},
	)
	classifications = canon[Classification](ClassificationAdvisory, ClassificationIncident, Classification("unknownFutureValue"))
	origins         = canon[Origin](OriginMicrosoft, OriginThirdParty, OriginCustomer, Origin("unknownFutureValue"))
	categories      = canon[Category](CategoryPreventOrFixIssue, CategoryPlanForChange, CategoryStayInformed, Category("unknownFutureValue"))
	severities      = canon[Severity](SeverityNormal, SeverityHigh, SeverityCritical, Severity("unknownFutureValue"))
	postTypes       = canon[PostType](PostRegular, PostQuick, PostStrategic, PostType("unknownFutureValue"))
)

type alias struct {
	from string
	to   any
}

// canon builds a lookup from the folded spelling of each value (and alias) to
// its canonical wire spelling.
func canon[T ~string](vals ...any) map[string]T {
	m := make(map[string]T, len(vals))
	for _, v := range vals {
		switch v := v.(type) {
		case T:
			m[fold(string(v))] = v
		case alias:
			m[fold(v.from)] = v.to.(T)
		}
	}
	return m
}

// fold lower-cases s and drops spaces, hyphens and underscores, so that
// "ServiceRestored", "serviceRestored" and "Service restored" compare equal.
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func normalize[T ~string](m map[string]T, s string) T {
	if v, ok := m[fold(s)]; ok {
		return v
	}
	return T(strings.TrimSpace(s))
}

// ParseStatus returns the canonical spelling of a serviceHealthStatus value,
// matching case-insensitively; an unknown value is returned trimmed, as text.
func ParseStatus(s string) Status { return normalize(statuses, s) }

// ParseClassification is ParseStatus for serviceHealthClassificationType.
func ParseClassification(s string) Classification { return normalize(classifications, s) }

// ParseOrigin is ParseStatus for serviceHealthOrigin.
func ParseOrigin(s string) Origin { return normalize(origins, s) }

// ParseCategory is ParseStatus for serviceUpdateCategory.
func ParseCategory(s string) Category { return normalize(categories, s) }

// ParseSeverity is ParseStatus for serviceUpdateSeverity.
func ParseSeverity(s string) Severity { return normalize(severities, s) }

// ParsePostType is ParseStatus for postType.
func ParsePostType(s string) PostType { return normalize(postTypes, s) }

// Known reports whether s is a documented serviceHealthStatus member.
func (s Status) Known() bool { return statuses[fold(string(s))] == s && s != "" }

// Active reports whether an issue in this status is still ongoing, i.e. Microsoft
// has not declared it restored, closed or a false positive.
func (s Status) Active() bool {
	switch s {
	case StatusServiceRestored, StatusPostIncidentReviewPublished, StatusFalsePositive,
		StatusResolved, StatusResolvedExternal, StatusServiceOperational:
		return false
	}
	return true
}

// Statuses lists the documented serviceHealthStatus members in their wire
// spelling, for configuration checks and "did you mean" suggestions.
func Statuses() []Status {
	return []Status{
		StatusServiceOperational, StatusInvestigating, StatusRestoringService, StatusVerifyingService,
		StatusServiceRestored, StatusPostIncidentReviewPublished, StatusServiceDegradation,
		StatusServiceInterruption, StatusExtendedRecovery, StatusFalsePositive, StatusInvestigationSuspended,
		StatusResolved, StatusMitigatedExternal, StatusMitigated, StatusResolvedExternal, StatusConfirmed,
		StatusReported, StatusUnknownFutureValue,
	}
}

// Classifications lists the serviceHealthClassificationType members.
func Classifications() []Classification {
	return []Classification{ClassificationAdvisory, ClassificationIncident, "unknownFutureValue"}
}

// Origins lists the serviceHealthOrigin members.
func Origins() []Origin {
	return []Origin{OriginMicrosoft, OriginThirdParty, OriginCustomer, "unknownFutureValue"}
}

// Categories lists the serviceUpdateCategory members.
func Categories() []Category {
	return []Category{CategoryPreventOrFixIssue, CategoryPlanForChange, CategoryStayInformed, "unknownFutureValue"}
}

// Severities lists the serviceUpdateSeverity members.
func Severities() []Severity {
	return []Severity{SeverityNormal, SeverityHigh, SeverityCritical, "unknownFutureValue"}
}

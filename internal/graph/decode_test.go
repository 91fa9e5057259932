package graph

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestDecodeIssues(t *testing.T) {
	tests := []struct {
		file     string
		want     []model.Issue
		wantNext string
	}{
		{
			file:     "issues_doc.json",
			wantNext: "https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues?$skip=100",
			want: []model.Issue{{
				ID:                "SP226574",
				Title:             "Tenant Administrators may have been unable to add or remove Content Delivery Network (CDN) origins",
				Service:           "SharePoint Online",
				Feature:           "Tenant Admin",
				FeatureGroup:      "Administration",
				Classification:    model.ClassificationAdvisory,
				Origin:            model.OriginMicrosoft,
				Status:            model.StatusServiceRestored,
				ImpactDescription: "Tenant Administrators may have been unable to add or remove CDN origins.",
				IsResolved:        true,
				Start:             utc("2020-11-04T00:00:00Z"),
				End:               utc("2020-11-20T17:00:00Z"),
				LastModified:      utc("2020-11-20T17:56:31.39Z"),
				Posts: []model.Post{{
					Created:     utc("2020-11-12T07:07:38.97Z"),
					Type:        model.PostRegular,
					ContentType: "text",
					Content:     "Title: Tenant Administrators may have been unable to add or remove CDN origins\nUser Impact: ...",
				}},
			}},
		},
		{
			file: "issues_real.json",
			want: []model.Issue{
				{
					ID:                "EX559755",
					Title:             "Users may be unable to access Exchange Online mailboxes",
					Service:           "Exchange Online",
					Feature:           "E-Mail and calendar access",
					Classification:    model.ClassificationIncident,
					Origin:            model.OriginMicrosoft,
					Status:            model.StatusServiceDegradation,
					ImpactDescription: "Users may be unable to access their mailbox.",
					Start:             utc("2023-05-14T12:00:00Z"),
					LastModified:      utc("2023-05-14T13:55:21.9720778Z"),
					Details:           []model.KeyValue{{Name: "NotifyInApp", Value: "True"}, {Name: "ExternalLink"}},
					Posts: []model.Post{
						{Created: utc("2023-05-14T12:10:00.767Z"), Type: model.PostRegular, ContentType: "html",
							Content: "Title: Users may be unable to access Exchange Online mailboxes\nUser impact: Users may be unable to access their mailbox."},
						{Created: utc("2023-05-14T11:55:21Z"), Type: model.PostQuick, ContentType: "html", Content: "<p>We're investigating.</p>"},
					},
				},
				{
					ID:             "MO1",
					Title:          "Odd one",
					Service:        "Microsoft 365 suite",
					Classification: model.Classification("somethingNew"),
					Origin:         model.OriginThirdParty,
					Status:         model.Status("brandNewStatus"),
					IsResolved:     true,
					Start:          utc("2023-05-15T08:30:00Z"),
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, next, err := DecodeIssues(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if next != tt.wantNext {
				t.Errorf("nextLink = %q, want %q", next, tt.wantNext)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeIssues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		file     string
		want     []model.Message
		wantNext string
	}{
		{
			file: "messages_doc.json",
			want: []model.Message{{
				ID:           "MC172851",
				Title:        "(Updated) Office for the web (Office Online) Integration and Teams Sharing",
				Category:     model.CategoryPlanForChange,
				Severity:     model.SeverityNormal,
				Services:     []string{"SharePoint Online", "OneDrive for Business"},
				Tags:         []string{"Updated message", "New feature", "User impact", "Admin impact"},
				Start:        utc("2019-02-01T18:51:00Z"),
				End:          utc("2019-06-01T08:00:00Z"),
				LastModified: utc("2021-01-08T01:10:06.843Z"),
				BodyType:     "html",
				Body:         "<p>Updated January 07, 2021: Based on learnings from our early rings.</p>",
				Details:      []model.KeyValue{{Name: "ExternalLink", Value: "https://support.office.com/article/"}},
			}},
		},
		{
			file:     "messages_real.json",
			wantNext: "https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/messages?$skip=2",
			want: []model.Message{
				{
					ID:               "MC808160",
					Title:            "Retirement of Office 365 connectors within Microsoft Teams",
					Category:         model.CategoryPlanForChange,
					Severity:         model.SeverityHigh,
					Services:         []string{"Microsoft Teams"},
					Tags:             []string{"Action required", "Retirement"},
					IsMajorChange:    true,
					ActionRequiredBy: utc("2024-08-15T07:00:00Z"),
					Start:            utc("2024-03-01T00:00:00Z"),
					End:              utc("2024-09-30T07:00:00Z"),
					LastModified:     utc("2024-03-02T10:11:12.1234567Z"),
					BodyType:         "html",
					Body:             `<p>We are retiring &amp; replacing.</p><img src="https://x/y.png">`,
					HasAttachments:   true,
					Attachments: []model.Attachment{{
						ID: "0f3c1c4a-7c3e-4b1e-9a0e-1c2d3e4f5a6b", Name: "List of affected connectors",
						ContentType: "application/csv", Size: 4096, LastModified: utc("2024-03-02T10:00:00Z"),
					}},
					Details: []model.KeyValue{{Name: "Summary", Value: "Connectors retire."}},
				},
				{ID: "MC1", Title: "odd", Category: model.Category("Unknown Thing")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, next, err := DecodeMessages(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if next != tt.wantNext {
				t.Errorf("nextLink = %q, want %q", next, tt.wantNext)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeMessages mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeHealthAndAttachments(t *testing.T) {
	h, _, err := DecodeHealthOverviews(readTestdata(t, "health.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantH := []model.ServiceHealth{
		{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceDegradation},
		{ID: "OSDPPlatform", Service: "Microsoft 365 suite", Status: model.StatusServiceOperational},
		{ID: "OrgLiveID", Service: "Identity Service", Status: model.StatusServiceInterruption},
	}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("DecodeHealthOverviews mismatch (-want +got):\n%s", diff)
	}
	a, _, err := DecodeAttachments(readTestdata(t, "attachments.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantA := []model.Attachment{{
		ID: "14b9c6dd-e3e4-4e2b-9d0d-5d4f1b9a7c3e", Name: "Desktop Analytics deprecation list of affected devices for tenant",
		ContentType: "application/csv", Size: 2345, LastModified: utc("2021-09-15T17:27:27.2337862Z"),
	}}
	if diff := cmp.Diff(wantA, a); diff != "" {
		t.Errorf("DecodeAttachments mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodePageErrors(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"not json", `<html>Bad gateway</html>`, "invalid character"},
		{"truncated", `{"value":[{"id":"EX1","title":"x"`, "unexpected end of JSON input"},
		{"value object", `{"value":{"id":"EX1"}}`, `"value" is a JSON object, not an array`},
		{"value string", `{"value":"x"}`, `"value" is a JSON string, not an array`},
		{"no value", `{"@odata.context":"x"}`, `no "value" array`},
		{"null value", `{"value":null}`, `no "value" array`},
		{"array body", `[1,2]`, "not an object"},
		{"empty", ``, "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, dec := range []func([]byte) error{
				func(b []byte) error { _, _, err := DecodeIssues(b); return err },
				func(b []byte) error { _, _, err := DecodeMessages(b); return err },
				func(b []byte) error { _, _, err := DecodeHealthOverviews(b); return err },
				func(b []byte) error { _, _, err := DecodeAttachments(b); return err },
			} {
				err := dec([]byte(tt.body))
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
				}
			}
		})
	}
	items, next, err := DecodeIssues([]byte(`{"value":[]}`))
	if err != nil || len(items) != 0 || next != "" {
		t.Errorf("empty page: %v %q %v", items, next, err)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2023-05-14T12:00:00Z", utc("2023-05-14T12:00:00Z")},
		{"2023-05-14T12:00:00.9Z", utc("2023-05-14T12:00:00.9Z")},
		{"2023-05-14T12:00:00.9720778Z", utc("2023-05-14T12:00:00.9720778Z")},
		{"2023-05-14T12:00:00.97+09:00", utc("2023-05-14T03:00:00.97Z")},
		{"2023-05-14T12:00:00", utc("2023-05-14T12:00:00Z")},
		{"2020-08-18T12:51:51.1234567", utc("2020-08-18T12:51:51.1234567Z")},
		{"2023-05-14", utc("2023-05-14T00:00:00Z")},
		{" 2023-05-14T12:00:00Z ", utc("2023-05-14T12:00:00Z")},
		{"", time.Time{}},
		{"null", time.Time{}},
		{"yesterday", time.Time{}},
		{"2023-13-45T00:00:00Z", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := parseTime(tt.in)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("parseTime(%q) = %v, want %v (UTC)", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   APIError
		retry  bool
	}{
		{"throttled", 429, `{"error":{"code":"TooManyRequests","innerError":{"code":"429","date":"2020-08-18T12:51:51","request-id":"35fe04b9-8e30-4a4b-9a0c-1c8d9f1e2a3b"},"message":"Please retry again later."}}`,
			APIError{Status: 429, Code: "TooManyRequests", Message: "Please retry again later.", RequestID: "35fe04b9-8e30-4a4b-9a0c-1c8d9f1e2a3b"}, true},
		{"forbidden", 403, `{"error":{"code":"Forbidden","message":"Missing role ServiceHealth.Read.All","innerError":{"client-request-id":"abc"}}}`,
			APIError{Status: 403, Code: "Forbidden", Message: "Missing role ServiceHealth.Read.All", RequestID: "abc"}, false},
		{"html", 502, "<html>\n<body>Bad   Gateway</body></html>", APIError{Status: 502, Message: "<html> <body>Bad Gateway</body></html>"}, true},
		{"empty", 404, "", APIError{Status: 404}, false},
		{"odd types", 500, `{"error":{"code":5,"message":"boom"}}`, APIError{Status: 500, Message: "boom"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecodeError(tt.status, []byte(tt.body))
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("DecodeError mismatch (-want +got):\n%s", diff)
			}
			if got.Retryable() != tt.retry {
				t.Errorf("Retryable() = %v, want %v", got.Retryable(), tt.retry)
			}
			if got.Error() == "" {
				t.Error("empty error text")
			}
		})
	}
	long := DecodeError(500, []byte(strings.Repeat("x", 5000)))
	if len(long.Message) > maxErrorText {
		t.Errorf("message not shortened: %d bytes", len(long.Message))
	}
}

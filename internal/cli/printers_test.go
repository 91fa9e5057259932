package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/tenants"
	"github.com/shdmc/shdmc/internal/translate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func tokyo(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestWriteUsage(t *testing.T) {
	lines := []translate.UsageLine{
		{TranslationUsage: store.TranslationUsage{Provider: "fake", Month: "2023-05", Chars: int64(len("Hello there.")), Requests: 1, Hits: 2, Misses: 1}, Budget: 1000},
		{TranslationUsage: store.TranslationUsage{Provider: "deepl", Month: "2023-06", Chars: 4200, Requests: 7, Misses: 7, Failures: 1}},
	}
	var b bytes.Buffer
	if err := writeUsage(&b, lines); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2023-05", "fake", "66.7%", "1000", "988"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	golden(t, "usage.golden", b.Bytes())
}

func TestWriteTenants(t *testing.T) {
	var b bytes.Buffer
	err := writeTenants(&b, []tenants.Record{
		{ID: "adatum", TenantID: "adatum.onmicrosoft.com", ClientID: "11111111-2222-3333-4444-555555555555",
			ClientSecretRef: "file:/etc/shdmc/adatum.secret", Cloud: "gcchigh", Disabled: true},
		{ID: "contoso", TenantID: "contoso.onmicrosoft.com", ClientID: "11111111-2222-3333-4444-555555555555",
			Auth: "client_secret", ClientSecretRef: "env:CONTOSO_SECRET"},
		{ID: "fabrikam", TenantID: "fabrikam.onmicrosoft.com", ClientID: "66666666-2222-3333-4444-555555555555",
			Auth: "managed_identity"},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "tenants.golden", b.Bytes())
}

func TestWriteOutbox(t *testing.T) {
	var b bytes.Buffer
	if err := writeOutbox(&b, nil, time.UTC); err != nil {
		t.Fatal(err)
	}
	if b.String() != "no deliveries in that state\n" {
		t.Errorf("no deliveries: %q", b.String())
	}
	at := time.Date(2023, 5, 26, 0, 12, 21, 0, time.UTC)
	ev := model.Event{Tenant: "contoso", ItemID: "EX559755", Type: model.EventIssueResolved}
	ds := []store.Delivery{
		{ID: 12, Channel: "teams", Route: "incidents", State: store.DeliveryRetrying, Attempts: 3, CreatedAt: at,
			NextAttempt: at.Add(5 * time.Minute), Event: ev,
			LastError: "teams: 502 Bad Gateway\n\tupstream\r\ntimed out " + strings.Repeat("x", 120)},
		{ID: 11, Channel: "mail", Route: "incidents", State: store.DeliveryDead, Attempts: 10, CreatedAt: at.Add(-time.Hour),
			NextAttempt: at, Event: ev, LastError: "smtp: 550 mailbox unavailable"},
		{ID: 10, Channel: "file", Route: "all", State: store.DeliveryPending, CreatedAt: at.Add(-2 * time.Hour),
			NextAttempt: at.Add(-2 * time.Hour), Event: ev},
	}
	b.Reset()
	if err := writeOutbox(&b, ds, tokyo(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "outbox.golden", b.Bytes())
}

func TestWriteHistory(t *testing.T) {
	at := time.Date(2023, 5, 14, 20, 0, 0, 0, time.UTC)
	data := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := model.Post{Created: at.Add(15 * time.Minute), Type: model.PostRegular, ContentType: "html",
		Content: "<p>Title: OME mail cannot be opened</p><p>Current status: We're investigating.</p>"}
	second := model.Post{Created: at.Add(26 * time.Hour), Type: model.PostRegular, ContentType: "html",
		Content: "<p>Final status: fixed.</p><p>This is the final update for the event.</p>"}
	issue := model.Issue{ID: "EX559755", Service: "Exchange Online", Title: "OME mail cannot be opened",
		Classification: model.ClassificationAdvisory, Status: model.StatusInvestigating, Posts: []model.Post{first}}
	resolved := issue
	resolved.Status, resolved.IsResolved, resolved.End = model.StatusServiceRestored, true, at.Add(25*time.Hour)
	resolved.Posts = []model.Post{first, second}
	key := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX559755"}
	revs := []store.Revision{
		{Key: key, Revision: 1, Hash: "0123456789abcdef0123", SeenAt: at.Add(20 * time.Minute), LastModified: at.Add(15 * time.Minute), Data: data(issue)},
		{Key: key, Revision: 2, Hash: "fedcba9876543210fedc", SeenAt: at.Add(26 * time.Hour), LastModified: at.Add(26 * time.Hour), Data: data(resolved)},
		{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC123456"}, Revision: 1, Hash: "aaaaaaaaaaaaaaaa",
			SeenAt: at, LastModified: at, Data: data(model.Message{ID: "MC123456", Title: "Retirement of basic auth",
				Category: "planForChange", Severity: "high", Tags: []string{"Retirement", "Admin impact"}, ActionRequiredBy: at.Add(30 * 24 * time.Hour)})},
		{Key: model.ItemKey{Tenant: "fabrikam", Source: model.SourceHealth, ID: "Exchange"}, Revision: 4, Hash: "bbbbbbbbbbbbbbbb",
			SeenAt: at, LastModified: at, Removed: true, Data: data(model.ServiceHealth{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceDegradation})},
	}
	var b bytes.Buffer
	if err := WriteHistory(&b, revs, tokyo(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "history.golden", b.Bytes())
	if err := WriteHistory(&b, []store.Revision{{Key: key, Revision: 3, Data: []byte("{")}}, time.UTC); err == nil ||
		!strings.Contains(err.Error(), "decode revision 3") {
		t.Errorf("a broken revision: %v", err)
	}
}

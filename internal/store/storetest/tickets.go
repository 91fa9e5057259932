package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testTickets: the tickets of an item are the thread references of the
// ticket channels under its thread key, and only those.
func testTickets(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	item := model.ItemKey{Tenant: "contoso", Source: model.SourceSHD, ID: "EX559755"}
	if got, err := s.Tickets(ctx, item); err != nil || len(got) != 0 {
		t.Fatalf("Tickets of an empty store = %v, %v; want none", got, err)
	}
	key := store.ThreadKey(item)
	if key != "contoso/shd/EX559755" {
		t.Errorf("ThreadKey = %q", key)
	}
	for _, th := range []struct{ channel, key, ref string }{
		{"ticket:jira:https://contoso.atlassian.net/OPS", key, store.TicketRef("OPS-12", "https://contoso.atlassian.net/browse/OPS-12", "")},
		{"ticket:github:contoso/m365", key, store.TicketRef("42", "https://github.com/contoso/m365/issues/42", "#42")},
		{"slack:C0123", key, "1712345678.000100"}, // not a ticket
		{"ticket:github:contoso/m365", "fabrikam/shd/EX559755", store.TicketRef("43", "https://github.com/contoso/m365/issues/43", "#43")},
	} {
		if _, err := s.SetThreadRef(ctx, th.channel, th.key, th.ref); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Tickets(ctx, item)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Ticket{
		{Channel: "ticket:github:contoso/m365", ID: "42", URL: "https://github.com/contoso/m365/issues/42", Name: "#42"},
		{Channel: "ticket:jira:https://contoso.atlassian.net/OPS", ID: "OPS-12", URL: "https://contoso.atlassian.net/browse/OPS-12"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tickets (-want +got):\n%s", diff)
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// testActiveIncident: Reader.ActiveIncident finds a tenant's own open,
// listed incident, and not an advisory, a resolved or removed incident, or
// another tenant's.
func testActiveIncident(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	rd, ok := store.AsReader(s)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	at := base()
	is := func(class model.Classification, resolved bool) model.Issue {
		return model.Issue{Title: "Mail delayed", Service: "Exchange Online", Classification: class, IsResolved: resolved,
			Status: model.StatusInvestigating, LastModified: at}
	}
	want := func(tenant string, w bool) {
		t.Helper()
		got, err := rd.ActiveIncident(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("ActiveIncident(%s) = %v, want %v", tenant, got, w)
		}
	}
	commit(t, s, store.Batch{Tenant: "a", Source: model.SourceSHD, Items: []store.Item{
		issueItem("a", "EX1", 1, is(model.ClassificationAdvisory, false)),
		issueItem("a", "EX2", 1, is(model.ClassificationIncident, true)),
	}})
	removed := issueItem("a", "EX3", 1, is(model.ClassificationIncident, false))
	removed.Removed = true
	commit(t, s, store.Batch{Tenant: "a", Source: model.SourceSHD, Items: []store.Item{removed}})
	commit(t, s, store.Batch{Tenant: "b", Source: model.SourceSHD, Items: []store.Item{
		issueItem("b", "EX4", 1, is(model.ClassificationIncident, false))}})
	want("a", false)
	want("b", true)
	want("nobody", false)
	// EX2 opens again: a new revision that is not resolved.
	reopened := issueItem("a", "EX2", 2, is(model.ClassificationIncident, false))
	reopened.LastModified = at.Add(time.Hour)
	commit(t, s, store.Batch{Tenant: "a", Source: model.SourceSHD, Items: []store.Item{reopened}})
	want("a", true)
}

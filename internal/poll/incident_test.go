package poll

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestActiveIncident: only an unresolved incident of the tenant itself,
// still listed, puts its issues in the fast lane — not an advisory, a
// resolved incident, a removed one or another tenant's.
func TestActiveIncident(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	item := func(tenant, id string, class model.Classification, resolved, removed bool) store.Item {
		t.Helper()
		data, err := json.Marshal(model.Issue{ID: id, Title: id, Service: "Exchange Online", Classification: class,
			IsResolved: resolved, Status: model.StatusInvestigating, LastModified: at})
		if err != nil {
			t.Fatal(err)
		}
		return store.Item{Key: model.ItemKey{Tenant: tenant, Source: model.SourceSHD, ID: id}, Revision: 1,
			Hash: id, LastModified: at, Removed: removed, Data: data}
	}
	tests := []struct {
		name  string
		items []store.Item
		want  bool
	}{
		{"none", nil, false},
		{"advisory", []store.Item{item("t1", "EX1", model.ClassificationAdvisory, false, false)}, false},
		{"resolved incident", []store.Item{item("t1", "EX2", model.ClassificationIncident, true, false)}, false},
		{"removed incident", []store.Item{item("t1", "EX3", model.ClassificationIncident, false, true)}, false},
		{"another tenant's", []store.Item{item("t2", "EX4", model.ClassificationIncident, false, false)}, false},
		{"open incident", []store.Item{item("t1", "EX1", model.ClassificationAdvisory, false, false),
			item("t1", "EX5", model.ClassificationIncident, false, false)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, it := range tt.items {
				if _, err := st.Commit(ctx, store.Batch{Tenant: it.Key.Tenant, Source: model.SourceSHD, Items: []store.Item{it}}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ActiveIncident(ctx, st, "t1")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ActiveIncident = %v, want %v", got, tt.want)
			}
		})
	}
}

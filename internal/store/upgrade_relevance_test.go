package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradeRelevance opens, on both engines, a database an older shdmc
// left at migration 00013, whose Message Center relevance lived only in
// the events: migration 00014 puts the newest verdict of each post on the
// read index, where the dashboard filters by it.
func TestUpgradeRelevance(t *testing.T) {
	for _, tt := range upgradeEngines() {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			raw, dsn := tt.dsn(t)
			at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
			old := model.Relevance{Relevant: true, Basis: "unknown", Reason: "the tenant's services are not known yet"}
			newer := model.Relevance{Relevant: false, Basis: "licences", Reason: "no licence for Power BI"}
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			for rev, rel := range []model.Relevance{old, newer} {
				m := &model.Message{ID: "MC1", Title: "Power BI change", Services: []string{"Power BI"},
					LastModified: at.Add(time.Duration(rev) * time.Hour), Body: "<p>v" + string(rune('1'+rev)) + "</p>"}
				data := mustJSON(t, m)
				if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC,
					Items: []store.Item{{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}, Revision: rev + 1,
						Hash: "h" + string(rune('1'+rev)), LastModified: m.LastModified, Data: data}},
					Events: []model.Event{{Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageUpdated,
						Revision: rev + 1, DetectedAt: m.LastModified, Message: m, Relevance: &rel}}}); err != nil {
					t.Fatal(err)
				}
			}
			// An issue and a post never judged stay unjudged.
			if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC,
				Items: []store.Item{{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC2"}, Revision: 1,
					Hash: "x", LastModified: at, Data: mustJSON(t, &model.Message{ID: "MC2", Title: "Quiet"})}}}); err != nil {
				t.Fatal(err)
			}
			st.Close()

			db, err := sql.Open(tt.driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.MigrateDownTo(ctx, tt.name, db, 13); err != nil { // before 00014 (00012 cannot roll back compressed documents on PostgreSQL)
				db.Close()
				t.Fatal(err)
			}
			db.Close()

			st, err = store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rd, _ := store.AsReader(st)
			keys := []model.ItemKey{{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}, {Tenant: "contoso", Source: model.SourceMC, ID: "MC2"}}
			got, err := rd.Relevance(ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			want := map[model.ItemKey]model.Relevance{keys[0]: newer}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("relevance after the upgrade (-want +got):\n%s", d)
			}
			no := false
			page, err := rd.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Relevant: &no})
			if err != nil || len(page.Items) != 1 || page.Items[0].Key.ID != "MC1" {
				t.Errorf("not relevant after the upgrade: %+v, %v", page.Items, err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

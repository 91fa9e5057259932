package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// benchEnv reads a positive number from the environment, else def.
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkAcrossTenants serves the views across tenants of a
// managed-service provider's store: SHDMC_BENCH_TENANTS tenants (1,000)
// with SHDMC_BENCH_POSTS Message Center posts each (100), every post in
// every tenant but one post per tenant that only it has; a tenth of the
// tenants have a later version of each post, and a third are not
// licensed for them. SHDMC_BENCH_DB keeps the store between runs.
//
//	go test ./internal/serve -run '^$' -bench AcrossTenants -benchtime 20x
func BenchmarkAcrossTenants(b *testing.B) {
	tenants, posts := benchEnv("SHDMC_BENCH_TENANTS", 1000), benchEnv("SHDMC_BENCH_POSTS", 100)
	path := os.Getenv("SHDMC_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "msp.db")
	}
	ctx := context.Background()
	fresh := true
	if _, err := os.Stat(path); err == nil {
		fresh = false
	}
	st, err := store.Open(ctx, "sqlite://"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if fresh {
		start := time.Now()
		day := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
		doc := func(id string, later bool) ([]byte, time.Time) {
			m := model.Message{ID: id, Title: "Post " + id, Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
				Services: []string{"Power BI"}, LastModified: day, ActionRequiredBy: day.AddDate(0, 2, 0),
				Body: "<p>Body of " + id + ".</p><h2>When this will happen</h2><p>March.</p>"}
			if later {
				m.LastModified, m.ActionRequiredBy, m.Body = day.Add(time.Hour), day.AddDate(0, 3, 0), m.Body+"<p>Moved.</p>"
			}
			data, _ := json.Marshal(m)
			return data, m.LastModified
		}
		for t := range tenants {
			tn := fmt.Sprintf("t%04d", t)
			if err := st.UpsertTenant(ctx, model.Tenant{ID: tn, Name: "Tenant " + tn}); err != nil {
				b.Fatal(err)
			}
			batch := store.Batch{Tenant: tn, Source: model.SourceMC, Relevance: map[string]model.Relevance{}}
			for p := range posts + 1 {
				id := fmt.Sprintf("MC%06d", p)
				if p == posts {
					id = "MC9" + tn[1:] // only in this tenant
				}
				data, lm := doc(id, t%10 == 3)
				batch.Items = append(batch.Items, store.Item{Key: model.ItemKey{Tenant: tn, Source: model.SourceMC, ID: id}, Revision: 1,
					Hash: fmt.Sprintf("%s-%v", id, t%10 == 3), LastModified: lm, SeenAt: lm, Data: data})
				batch.Relevance[id] = model.Relevance{Relevant: t%3 != 0, Basis: "licences", Reason: "licensed: Power BI (BI_AZURE_P2)"}
			}
			if _, err := st.Commit(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("filled %d tenants × %d posts in %s", tenants, posts+1, time.Since(start).Round(time.Second))
	}
	srv, err := serve.New(serve.Options{Store: st, Interval: time.Hour, Now: fixedClock(time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, u := range []string{
		"/messages",
		"/messages?relevant=false",
		"/messages?only_tenant=true",
		"/messages?only_tenant=true&tenant=t0042",
		"/items/t0042/mc/MC000050",
		"/api/v1/items/t0042/mc/MC000050",
	} {
		b.Run(u, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(ts.URL + u)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d: %.200s", u, resp.StatusCode, body)
				}
			}
		})
	}
}

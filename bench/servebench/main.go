// Command servebench measures the dashboard and JSON API of shdmc serve
// with 100 tenants and 100,000 stored items: it fills a SQLite store (or
// reuses one), serves it on loopback, and runs wrk (Debian package wrk)
// against the main pages and a full-text search, printing p50/p99.
//
//	go run ./bench/servebench -dir /tmp/sb -duration 30s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

func main() {
	dir := flag.String("dir", "", "directory of the store (kept between runs)")
	tenants := flag.Int("tenants", 100, "tenants")
	items := flag.Int("items", 100000, "items in all (MC posts and issues)")
	dur := flag.Duration("duration", 30*time.Second, "wrk duration per URL")
	conns := flag.Int("connections", 8, "wrk connections (bounded load)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	ctx := context.Background()
	dsn := "sqlite://" + filepath.Join(*dir, "bench.db")
	_ = os.MkdirAll(*dir, 0o755)
	st, err := store.Open(ctx, dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if ts, _ := st.Tenants(ctx); len(ts) < *tenants {
		start := time.Now()
		fill(ctx, st, *tenants, *items)
		log.Printf("filled %d items for %d tenants in %v", *items, *tenants, time.Since(start).Round(time.Second))
	}
	srv, err := serve.New(serve.Options{Store: st, Interval: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	fmt.Printf("| URL | req/s | p50 | p99 |\n|---|---|---|---|\n")
	for _, u := range []string{"/", "/messages", "/messages?q=Teams", "/messages?q=" + "%E9%8C%B2%E7%94%BB", "/api/v1/items?source=mc&limit=50",
		"/api/v1/items?q=mailbox&limit=20", "/items/t042/mc/MC0042042", "/feeds/atom?source=mc"} {
		out, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", *conns), "-d"+dur.String(), "--latency", base+u).CombinedOutput()
		if err != nil {
			log.Fatalf("wrk %s: %v\n%s", u, err, out)
		}
		get := func(re string) string {
			m := regexp.MustCompile(re).FindSubmatch(out)
			if m == nil {
				return "?"
			}
			return string(m[1])
		}
		fmt.Printf("| `%s` | %s | %s | %s |\n", u, get(`Requests/sec:\s+(\S+)`), get(`(?m)^\s+50%\s+(\S+)`), get(`(?m)^\s+99%\s+(\S+)`))
	}
}

// fill stores items/tenants MC posts and issues per tenant, a tenth of
// the MC bodies with Japanese text, and a few services each.
func fill(ctx context.Context, st store.Store, tenants, items int) {
	per := items / tenants
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"Teams", "Exchange", "mailbox", "SharePoint", "retirement", "Copilot", "policy", "meeting", "recording", "admin"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for t := 0; t < tenants; t++ {
		tid := fmt.Sprintf("t%03d", t)
		if err := st.UpsertTenant(ctx, model.Tenant{ID: tid, Name: "Tenant " + tid}); err != nil {
			log.Fatal(err)
		}
		var mc, shd, health []store.Item
		for i := 0; i < per; i++ {
			mod := base.Add(time.Duration(rng.IntN(365*24)) * time.Hour)
			body := "<p>"
			for w := 0; w < 60; w++ {
				body += words[rng.IntN(len(words))] + " "
			}
			body += "</p>"
			if i%10 == 0 {
				body += "<p>会議の録画は自動的に削除されます。</p>"
			}
			if i%5 == 4 {
				id := fmt.Sprintf("EX%07d", t*1000+i)
				b, _ := json.Marshal(model.Issue{ID: id, Title: "Users can't access " + words[rng.IntN(len(words))], Service: "Exchange Online",
					Classification: model.ClassificationIncident, Status: model.StatusServiceRestored, IsResolved: i%50 != 4, LastModified: mod,
					Posts: []model.Post{{Created: mod, Content: body}}})
				shd = append(shd, store.Item{Key: model.ItemKey{Tenant: tid, Source: model.SourceSHD, ID: id}, Revision: 1, Hash: id, LastModified: mod, Data: b})
				continue
			}
			id := fmt.Sprintf("MC%07d", t*1000+i)
			b, _ := json.Marshal(model.Message{ID: id, Title: "Update to " + words[rng.IntN(len(words))], Category: model.CategoryPlanForChange,
				Severity: model.SeverityNormal, Services: []string{"Microsoft Teams", "Exchange Online"}, Tags: []string{"Updated message"},
				ActionRequiredBy: mod.AddDate(0, 1, 0), LastModified: mod, Body: body})
			mc = append(mc, store.Item{Key: model.ItemKey{Tenant: tid, Source: model.SourceMC, ID: id}, Revision: 1, Hash: id, LastModified: mod, Data: b})
		}
		for _, svc := range []string{"Exchange Online", "Microsoft Teams", "SharePoint Online", "OneDrive for Business"} {
			b, _ := json.Marshal(model.ServiceHealth{ID: svc, Service: svc, Status: model.StatusServiceOperational})
			health = append(health, store.Item{Key: model.ItemKey{Tenant: tid, Source: model.SourceHealth, ID: svc}, Revision: 1, Hash: svc, LastModified: base, Data: b})
		}
		for src, its := range map[model.Source][]store.Item{model.SourceMC: mc, model.SourceSHD: shd, model.SourceHealth: health} {
			if _, err := st.Commit(ctx, store.Batch{Tenant: tid, Source: src, Items: its, Cursor: &store.Cursor{Watermark: base, Baselined: true}}); err != nil {
				log.Fatal(err)
			}
		}
	}
}

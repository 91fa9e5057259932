// Command servebench measures the dashboard and JSON API of shdmc serve
// with 100 tenants and 100,000 stored items: it fills a SQLite store (or
// reuses one), serves it on loopback, and runs wrk (Debian package wrk,
// when installed) against the main pages and a full-text search, printing
// p50/p99. Then it compares full-text searches (an English word in nearly
// every item, item IDs, Japanese words of one, two and six characters,
// Japanese words found only in the translations of the titles in the
// translation memory, words of both kinds, a search across sources, and
// searches of the incidents and in one tenant of the hundred) with
// the list pages they filter, at 2 and 8 connections of its own HTTP
// client, printing p50, p99 and the ratio of each search's p50 to its
// list's.
//
//	go run ./bench/servebench -dir /tmp/sb -duration 30s [-search-duration 10s] [-search-conns 2,8] [-wrk=false] [-cpuprofile FILE] [-cpu-requests 200] [-only REGEXP]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shdmc/shdmc/bench/internal/profile"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

func main() {
	dir := flag.String("dir", "", "directory of the store (kept between runs)")
	tenants := flag.Int("tenants", 100, "tenants")
	items := flag.Int("items", 100000, "items in all (MC posts and issues)")
	dur := flag.Duration("duration", 30*time.Second, "wrk duration per URL")
	conns := flag.Int("connections", 8, "wrk connections (bounded load)")
	useWrk := flag.Bool("wrk", true, "run the wrk table (when wrk is installed)")
	searchDur := flag.Duration("search-duration", 10*time.Second, "duration of each search-vs-list measurement")
	searchConns := flag.String("search-conns", "2,8", "connections of the search-vs-list measurements (\"\": none)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measurements (server and client share the process) to this file")
	cpuRequests := flag.Int("cpu-requests", 0, "before the latency measurements, request each page of the search-vs-list table this many times, one at a time, and print the CPU time per request (server and client)")
	only := flag.String("only", "", "measure only the searches matching this regular expression (and their lists)")
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			log.Fatalf("bad -only: %v", err)
		}
		pairs = slices.DeleteFunc(pairs, func(p pair) bool { return !re.MatchString(p.search) })
	}
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
	translations(ctx, st)
	// What `shdmc run` does every retention.every: among other things it
	// merges SQLite's full-text index, which a bulk fill leaves in many
	// segments.
	if rs, ok := st.(store.RetentionStore); ok {
		start := time.Now()
		if _, err := rs.Prune(ctx, store.Retention{}, time.Now()); err != nil {
			log.Fatal(err)
		}
		log.Printf("pruned (merged the full-text index) in %v", time.Since(start).Round(time.Millisecond))
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
	if *cpuProfile != "" {
		stop, err := profile.Start(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		defer func() { _ = stop() }()
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Print("wrk is not installed: skipping the wrk table")
	} else if *useWrk {
		runWrk(base, *conns, *dur)
	}
	if *cpuRequests > 0 {
		cpuPerRequest(base, *cpuRequests)
	}
	for _, c := range strings.Split(*searchConns, ",") {
		if *searchConns == "" {
			break // -search-conns "": no latency table
		}
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			log.Fatalf("bad -search-conns %q", *searchConns)
		}
		searchVsList(base, n, *searchDur)
	}
}

// runWrk runs wrk against the main pages.
func runWrk(base string, conns int, dur time.Duration) {
	fmt.Printf("| URL | req/s | p50 | p99 |\n|---|---|---|---|\n")
	for _, u := range []string{"/", "/messages", "/messages?q=Teams", "/messages?q=" + "%E9%8C%B2%E7%94%BB", "/api/v1/items?source=mc&limit=50",
		"/api/v1/items?q=mailbox&limit=20", "/items/t042/mc/MC0042042", "/feeds/atom?source=mc"} {
		out, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", conns), "-d"+dur.String(), "--latency", base+u).CombinedOutput()
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

// pair is a search and the list page it filters.
type pair struct{ list, search string }

// pairs are the searches of the search-vs-list table.
var pairs = []pair{
	{"/messages", "/messages?q=Teams"},
	{"/messages", "/messages?q=MC0042042"},
	{"/messages", "/messages?q=" + url.QueryEscape("録画")},
	{"/messages", "/messages?q=" + url.QueryEscape("録")},
	{"/messages", "/messages?q=" + url.QueryEscape("自動的に削除")},
	{"/messages", "/messages?q=" + url.QueryEscape("mailbox 録画")},
	{"/messages", "/messages?q=" + url.QueryEscape("提供終了")},
	{"/messages", "/messages?q=" + url.QueryEscape("更新")},
	{"/messages", "/messages?q=" + url.QueryEscape("提供終了 録画")},
	{"/messages", "/messages?q=" + url.QueryEscape("MC0042042 更新")},
	// The incidents and advisories (a fifth of the documents).
	{"/issues", "/issues?q=Exchange"},
	// One tenant of the hundred (a help desk's view of a customer).
	{"/messages?tenant=t042", "/messages?tenant=t042&q=Teams"},
	{"/messages?tenant=t042", "/messages?tenant=t042&q=" + url.QueryEscape("録画")},
	{"/api/v1/items?source=mc&limit=50", "/api/v1/items?source=mc&limit=50&q=retirement"},
	{"/api/v1/items?limit=20", "/api/v1/items?q=mailbox&limit=20"},
	{"/api/v1/items?limit=20", "/api/v1/items?q=EX0042004&limit=20"},
}

// cpuPerRequest requests each page of pairs n times, one request at a
// time, and prints the CPU time the process (server and client) used per
// request: a figure that depends less than latency on what else the
// machine runs.
func cpuPerRequest(base string, n int) {
	client := &http.Client{}
	fmt.Printf("\nCPU per request, %d requests each, one at a time:\n\n| page | CPU-ms |\n|---|---|\n", n)
	done := map[string]bool{}
	for _, p := range pairs {
		for _, u := range []string{p.list, p.search} {
			if done[u] {
				continue
			}
			done[u] = true
			before, ok := processCPU()
			if !ok {
				log.Print("CPU time is not measured on this system")
				return
			}
			for range n {
				mustGet(client, base+u)
			}
			after, _ := processCPU()
			fmt.Printf("| `%s` | %.1f |\n", u, float64(after-before)/float64(n)/1e6)
		}
	}
}

// searchVsList measures each search against the list page it filters,
// with conns concurrent clients for dur each.
func searchVsList(base string, conns int, dur time.Duration) {
	fmt.Printf("\nsearch vs list, %d connections, %v each:\n\n", conns, dur)
	fmt.Printf("| search | p50 | p99 | req/s | list p50 | search/list |\n|---|---|---|---|---|---|\n")
	lists := map[string]latency{}
	for _, p := range pairs {
		l, ok := lists[p.list]
		if !ok {
			l = load(base+p.list, conns, dur)
			lists[p.list] = l
			fmt.Printf("| (list) `%s` | %v | %v | %.0f | | |\n", p.list, l.p50, l.p99, l.rate)
		}
		q := load(base+p.search, conns, dur)
		fmt.Printf("| `%s` | %v | %v | %.0f | %v | %.1f× |\n", p.search, q.p50, q.p99, q.rate, l.p50, float64(q.p50)/float64(l.p50))
	}
}

// mustGet requests u and reads the answer; any answer but 200 is fatal.
func mustGet(client *http.Client, u string) {
	resp, err := client.Get(u)
	if err != nil {
		log.Fatalf("GET %s: %v", u, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("GET %s: %s", u, resp.Status)
	}
}

type latency struct {
	p50, p99 time.Duration
	rate     float64
}

// load requests u from conns goroutines for dur and returns the latency
// percentiles; any answer but 200 is fatal.
func load(u string, conns int, dur time.Duration) latency {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	var (
		mu  sync.Mutex
		all []time.Duration
		wg  sync.WaitGroup
	)
	end := time.Now().Add(dur)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) {
				start := time.Now()
				mustGet(client, u)
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		return all[min(len(all)-1, int(p*float64(len(all))))].Round(100 * time.Microsecond)
	}
	return latency{p50: pct(0.50), p99: pct(0.99), rate: float64(len(all)) / dur.Seconds()}
}

// titleJA are the Japanese titles of the MC posts ("Update to " + word)
// in the translation memory: only "提供終了" (a tenth of the posts) and
// "更新" (every post) are in no English text.
var titleJA = map[string]string{"Teams": "Teams の更新", "Exchange": "Exchange の更新", "mailbox": "メールボックスの更新",
	"SharePoint": "SharePoint の更新", "retirement": "提供終了に関する更新", "Copilot": "Copilot の更新", "policy": "ポリシーの更新",
	"meeting": "会議の更新", "recording": "レコーディングの更新", "admin": "管理者向けの更新"}

// translations puts the Japanese titles into the translation memory of
// the dashboard's default translator and records them for search (the
// backfill that the dashboard runs at start), once.
func translations(ctx context.Context, st store.Store) {
	glossary := translate.DefaultGlossary().Version()
	key := func(en string) store.TranslationKey {
		return store.TranslationKey{Hash: translate.TextHash(en), Source: "en", Target: "ja", Provider: translate.MemoryProviderName,
			GlossaryVersion: glossary}
	}
	if _, err := st.Translation(ctx, key("Update to Teams")); err == nil {
		return
	}
	for w, ja := range titleJA {
		if err := st.PutTranslation(ctx, key("Update to "+w), ja, time.Now()); err != nil {
			log.Fatal(err)
		}
	}
	start := time.Now()
	n, err := translate.IndexSearch(ctx, st, translate.MemoryProviderName, glossary, []string{"ja"}, false)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("recorded the translations of %d documents for search in %v", n, time.Since(start).Round(time.Second))
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

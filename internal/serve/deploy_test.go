package serve

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shdmc/shdmc/internal/metrics"
	"go.yaml.in/yaml/v3"
)

// exportedMetrics returns the names of every series /metrics can carry:
// the collectors of Metrics and of the store, with a histogram's _bucket,
// _sum and _count.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	ch := make(chan *prometheus.Desc, 64)
	metrics.New().Describe(ch)
	(&storeCollector{}).Describe(ch)
	close(ch)
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{}
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no fqName in %s", d)
		}
		names[m[1]] = true
	}
	if len(names) < 10 {
		t.Fatalf("only %d metrics described: %v", len(names), names)
	}
	for _, h := range []string{"shdmc_poll_duration_seconds"} {
		if !names[h] {
			t.Fatalf("histogram %s is not exported", h)
		}
		names[h+"_bucket"], names[h+"_sum"], names[h+"_count"] = true, true, true
	}
	return names
}

// metricRE finds shdmc metric names in PromQL; label values such as
// shdmc in job="shdmc" do not match (no underscore after it).
var metricRE = regexp.MustCompile(`\bshdmc_[a-z0-9_]*[a-z0-9]\b`)

// checkNames reports every shdmc_ name in expr that /metrics never has.
func checkNames(t *testing.T, where, expr string, exported map[string]bool, used map[string]bool) {
	t.Helper()
	for _, name := range metricRE.FindAllString(expr, -1) {
		if !exported[name] {
			t.Errorf("%s: %s is not a metric shdmc exports (expr %q)", where, name, expr)
		}
		used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")] = true
	}
}

// TestPrometheusRulesNameExportedMetrics checks the alert rules in
// deploy/prometheus against the collectors: a renamed metric must not
// leave an alert that can never fire. promtool checks their syntax
// (scripts/test-prometheus).
func TestPrometheusRulesNameExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("../../deploy/prometheus/shdmc-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Record, Expr, For string
				Labels, Annotations      map[string]string
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("parse rules: %v", err)
	}
	exported := exportedMetrics(t)
	used := map[string]bool{}
	n := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			n++
			name := r.Alert + r.Record
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: rule %q: want an alert with an expr", g.Name, name)
				continue
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("alert %s: severity %q, want warning or critical", name, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: want a summary and a description", name)
			}
			checkNames(t, "alert "+name, r.Expr, exported, used)
		}
	}
	if n < 10 {
		t.Errorf("%d rules, want at least 10", n)
	}
	if len(used) == 0 {
		t.Error("no rule names a shdmc metric")
	}
}

// TestGrafanaDashboardShowsExportedMetrics checks deploy/grafana/shdmc.json:
// valid JSON, every panel query names only exported metrics, and every
// exported metric is on some panel.
func TestGrafanaDashboardShowsExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("../../deploy/grafana/shdmc.json")
	if err != nil {
		t.Fatal(err)
	}
	type target struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	}
	type panel struct {
		ID      int      `json:"id"`
		Type    string   `json:"type"`
		Title   string   `json:"title"`
		Targets []target `json:"targets"`
		GridPos struct {
			H, W, X, Y int
		} `json:"gridPos"`
	}
	var dash struct {
		Title      string  `json:"title"`
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("parse dashboard: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("title %q, uid %q: want both", dash.Title, dash.UID)
	}
	var vars []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
	}
	if !slices.Contains(vars, "datasource") || !slices.Contains(vars, "job") {
		t.Errorf("template variables %v, want datasource and job", vars)
	}
	exported := exportedMetrics(t)
	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: duplicate id %d", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Title == "" || p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %d: title %q, gridPos %+v", p.ID, p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q: no queries", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: data source %q, want the ${datasource} variable", p.Title, tg.Datasource.UID)
			}
			if !strings.Contains(tg.Expr, `job="$job"`) {
				t.Errorf("panel %q: query %q does not select job=\"$job\"", p.Title, tg.Expr)
			}
			checkNames(t, "panel "+p.Title, tg.Expr, exported, used)
		}
	}
	var missing []string
	for name := range exported {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if !used[base] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("exported metrics on no panel: %v", missing)
	}
}

package archtest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the dependency picture in docs/ARCHITECTURE.md")

const module = "github.com/shdmc/shdmc/internal/"

// layer ranks every internal package: a package may import only packages
// of a strictly lower layer. Leaves first; the stages of the flow
// (source → poll → detect → store → route → notify → render/translate →
// channels) sit where the one that drives them can import them and none
// of them can import its driver.
var layer = map[string]int{
	"model": 0, "htmltext": 0, "netsafe": 0, "browsertest": 0, "demo/scenario": 0, "archtest": 0, "version": 0, "datephrase": 0,
	"fingerprint": 1, "sim": 1, "relevance": 1, "milestone": 1,
	"config": 2, "graph": 2, "render": 2, "store": 2, "detect": 2,
	"metrics": 3, "outage": 3, "source": 3, "route": 3, "translate": 3, "tenants": 3, "store/storetest": 3,
	"source/publicstatus": 4, "notify": 4,
	"poll": 5, "notify/internal/wire": 5, "notify/internal/channeltest": 5, "serve": 5,
	"notify/email": 6, "notify/file": 6, "notify/slack": 6, "notify/teams": 6, "notify/webhook": 6,
	"notify/internal/ticket": 5, "notify/github": 6, "notify/jira": 6, "notify/servicenow": 6,
	"notify/channels": 7,
	"app":             8,
	"demo":            9,
	"cli":             10,
}

// imports returns each internal package's internal imports (no tests).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue
		}
		pkg := strings.TrimPrefix(f[0], module)
		m[pkg] = []string{}
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module) {
				m[pkg] = append(m[pkg], strings.TrimPrefix(imp, module))
			}
		}
		slices.Sort(m[pkg])
	}
	return m
}

// TestLayers: every package has a layer and imports only lower layers;
// only poll imports detect; nothing but the CLI imports the demo, and
// only the demo imports the simulator.
func TestLayers(t *testing.T) {
	for pkg, deps := range imports(t) {
		l, ok := layer[pkg]
		if !ok {
			t.Errorf("package %s has no layer: add it to archtest and to docs/ARCHITECTURE.md", pkg)
			continue
		}
		for _, d := range deps {
			if dl, ok := layer[d]; ok && dl >= l {
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports only lower layers", pkg, l, d, dl)
			}
			switch {
			case d == "detect" && pkg != "poll":
				t.Errorf("%s imports detect: only poll runs detection", pkg)
			case d == "sim" && pkg != "demo":
				t.Errorf("%s imports the simulator: only the demo may", pkg)
			case d == "demo" && pkg != "cli":
				t.Errorf("%s imports demo: only the CLI may", pkg)
			}
		}
	}
}

// TestPicture: the dependency picture in docs/ARCHITECTURE.md is the
// transitive reduction of the import graph (an arrow a → b when a imports
// b and no longer path leads there), as go list gives it today.
func TestPicture(t *testing.T) {
	g := imports(t)
	var edges []string
	for a, deps := range g {
		for _, b := range deps {
			if !longer(g, a, b) {
				edges = append(edges, fmt.Sprintf("  %s --> %s", id(a), id(b)))
			}
		}
	}
	slices.Sort(edges)
	picture := "```mermaid\nflowchart TD\n" + strings.Join(edges, "\n") + "\n```\n"
	const begin, end = "<!-- deps:begin (go test ./internal/archtest -update) -->\n", "<!-- deps:end -->"
	path := filepath.Join("..", "..", "docs", "ARCHITECTURE.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s has no dependency picture between %q and %q", path, begin, end)
	}
	got := string(doc[i+len(begin) : j])
	if got == picture {
		return
	}
	if *update {
		doc = slices.Concat(doc[:i+len(begin)], []byte(picture), doc[j:])
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the dependency picture in %s is out of date: go test ./internal/archtest -update", path)
}

// longer reports whether b is reachable from a other than by the direct
// import.
func longer(g map[string][]string, a, b string) bool {
	seen := map[string]bool{}
	var walk func(n string) bool
	walk = func(n string) bool {
		for _, d := range g[n] {
			if d == b {
				return true
			}
			if !seen[d] {
				seen[d] = true
				if walk(d) {
					return true
				}
			}
		}
		return false
	}
	for _, d := range g[a] {
		if d != b && walk(d) {
			return true
		}
	}
	return false
}

// id is a mermaid node: the path with slashes, quoted as a label.
func id(pkg string) string {
	return strings.NewReplacer("/", "_").Replace(pkg) + `["` + pkg + `"]`
}

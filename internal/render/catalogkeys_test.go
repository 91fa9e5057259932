package render

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/model"
)

// catalogKey is what a literal catalog key looks like: a group of ours, a
// dot, and a name.
var catalogKey = regexp.MustCompile(`^(label|value|punct|change|block|note|post|sentence|status|classification|origin|category|severity|postType|health|digest|removed|footer|link|services|language|format|weekday|month|milestone|phase|ring|cloud|platform)\.[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9]$`)

// TestCatalogKeysInCode reads every Go file of the module outside tests and
// requires each string literal that is a catalog key ("label.status") to
// be in every catalog, and so each key built from a group and a value:
// every change kind (the dashboard labels changes by "change."+kind), the
// enum values, the health sources and failure classes. A key missing from
// a catalog would be shown to a reader as the key itself.
func TestCatalogKeysInCode(t *testing.T) {
	cs, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{} // key → where
	fset := token.NewFileSet()
	root := filepath.Join("..", "..")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", ".git", ".cache", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && catalogKey.MatchString(s) && !strings.Contains(s, "..") {
				used[s] = append(used[s], fset.Position(lit.Pos()).String())
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Keys of literal groups that code passes to l.name (the value is
	// appended), and files named like keys.
	groups := map[string]bool{"health.source": true, "health.failure": true}
	for k := range used {
		if groups[k] || strings.HasSuffix(k, ".golden") || strings.HasSuffix(k, ".json") || strings.HasSuffix(k, ".org") {
			delete(used, k)
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d catalog keys in the code; the scan is broken", len(used))
	}
	for _, kind := range changeKinds {
		used["change."+string(kind)] = append(used["change."+string(kind)], "model.ChangeKind")
	}
	for _, s := range []string{"graph", "m365status", "azurestatus"} {
		used["health.source."+s] = append(used["health.source."+s], "health sources")
	}
	for _, s := range []string{"auth", "throttled", "server", "timeout", "malformed", "network", "other"} {
		used["health.failure."+s] = append(used["health.failure."+s], "failure classes")
	}
	var keys []string
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, lang := range Languages() {
		for _, k := range keys {
			if _, ok := cs[lang][k]; !ok {
				t.Errorf("%s.json lacks %q, used at %s", lang, k, strings.Join(used[k], ", "))
			}
		}
	}
	t.Logf("%d catalog keys used in code, all in %v", len(keys), Languages())
}

// changeKinds are the change kinds model defines; the dashboard shows each
// by its catalog entry "change."+kind.
var changeKinds = []model.ChangeKind{
	model.ChangeNew, model.ChangeRemoved, model.ChangePostAdded, model.ChangePostEdited, model.ChangeStatus,
	model.ChangeResolved, model.ChangeReopened, model.ChangeClassification, model.ChangeTitle, model.ChangeImpact,
	model.ChangeStart, model.ChangeEnd, model.ChangeService, model.ChangeFeature, model.ChangeOrigin,
	model.ChangeCategory, model.ChangeSeverity, model.ChangeServices, model.ChangeTags, model.ChangeMajor,
	model.ChangeActionDate, model.ChangeBodySection, model.ChangeAttachments, model.ChangeIncidentReport,
	model.ChangeFailure, model.ChangeOutage, model.ChangeOwner, model.ChangeHandling, model.ChangeNote, model.ChangeEscalation,
}

package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestNoticeTranslationIsSearchable: once a notice of an incident is
// translated, the store's search finds the incident by words of its
// translation (what the dashboard's lists search).
func TestNoticeTranslationIsSearchable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	e := newEnv(t)
	e.cfg.Routes = []config.Route{{Name: "ja", Channels: []string{"mailbox"}, Language: "ja", TimeZone: "Asia/Tokyo",
		Match: config.Match{Events: []string{"issue.new"}}}}
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := &flaky{up: true}
	a, st := e.translatingApp(ctx, t, p)
	r, ok := store.AsReader(st)
	if !ok {
		t.Fatal("the store has no Reader")
	}
	search := func() []string {
		t.Helper()
		page, err := r.SearchItems(ctx, store.ItemQuery{Source: model.SourceSHD, Text: "訳:"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range page.Items {
			ids = append(ids, it.Key.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := search(); got != nil {
		t.Fatalf("found by a translation before any notice: %v", got)
	}
	for _, step := range e.sc.Steps[:2] {
		e.clock.Set(step.Time)
		if _, err := a.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(readNotices(t, e.notices)) != 2 {
		t.Fatal("want two notices")
	}
	if d := cmp.Diff([]string{"EX557913", "EX559755"}, search()); d != "" {
		t.Errorf("incidents found by their translation (-want +got):\n%s", d)
	}
}

package storetest

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

func testRouteAndRequeue(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	commit(t, s, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{event("contoso", "EX1", 1, model.EventIssueNew)},
		Deliveries: []store.NewDelivery{
			{Event: 0, Channel: "mail", Route: "ops-ja", Key: "sent"},
			{Event: 0, Channel: "mail", Key: "dead"},
			{Event: 0, Channel: "teams", Route: "ops-en", Key: "leased"},
		}})
	now := claimAt()
	ds, err := s.ClaimDeliveries(ctx, nil, now, time.Hour, 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("claim = %d deliveries, %v", len(ds), err)
	}
	byKey := map[string]store.Delivery{}
	for _, d := range ds {
		byKey[d.Key] = d
	}
	for key, route := range map[string]string{"sent": "ops-ja", "dead": "", "leased": "ops-en"} {
		if got := byKey[key].Route; got != route {
			t.Errorf("delivery %s: Route = %q, want %q", key, got, route)
		}
	}
	if err := s.CompleteDelivery(ctx, byKey["sent"].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.FailDelivery(ctx, byKey["dead"].ID, now, "401 Unauthorized", time.Time{}, true); err != nil {
		t.Fatal(err)
	}

	later := now.Add(time.Minute) // all still leased or finished
	if got, _ := s.ClaimDeliveries(ctx, nil, later, time.Hour, 10); len(got) != 0 {
		t.Fatalf("claim before requeue = %+v; want none", got)
	}
	for _, key := range []string{"sent", "dead", "leased"} {
		if err := s.RequeueDelivery(ctx, byKey[key].ID, later); err != nil {
			t.Fatalf("RequeueDelivery(%s): %v", key, err)
		}
	}
	if got, _ := s.ClaimDeliveries(ctx, nil, later.Add(-time.Nanosecond), time.Hour, 10); len(got) != 0 {
		t.Errorf("requeued deliveries due before the requeue time: %+v", got)
	}
	got, err := s.ClaimDeliveries(ctx, nil, later, time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Key       string
		State     store.DeliveryState
		Attempts  int
		LastError string
		Route     string
		Done      bool
	}
	var rows []row
	for _, d := range got {
		rows = append(rows, row{d.Key, d.State, d.Attempts, d.LastError, d.Route, !d.DoneAt.IsZero()})
		if !d.NextAttempt.Equal(later) {
			t.Errorf("requeued %s: NextAttempt = %v, want %v", d.Key, d.NextAttempt, later)
		}
	}
	want := []row{
		{"sent", store.DeliveryRetrying, 1, "", "ops-ja", false},
		{"dead", store.DeliveryRetrying, 1, "401 Unauthorized", "", false},
		{"leased", store.DeliveryPending, 0, "", "ops-en", false},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("requeued deliveries (-want +got):\n%s", diff)
	}
	if err := s.RequeueDelivery(ctx, 987654, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RequeueDelivery of an unknown ID: %v; want ErrNotFound", err)
	}
}

func testThreadRef(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if _, err := s.ThreadRef(ctx, "slack", "contoso/EX1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ThreadRef of an empty store: %v; want ErrNotFound", err)
	}
	steps := []struct {
		channel, key, ref, want string
	}{
		{"slack", "contoso/EX1", "1712345678.000100", "1712345678.000100"},
		{"slack", "contoso/EX1", "1712345999.000200", "1712345678.000100"}, // the first one wins
		{"teams", "contoso/EX1", "msg-7", "msg-7"},                         // per channel
		{"slack", "contoso/EX2", "1712345999.000300", "1712345999.000300"},
	}
	for _, st := range steps {
		got, err := s.SetThreadRef(ctx, st.channel, st.key, st.ref)
		if err != nil || got != st.want {
			t.Errorf("SetThreadRef(%s, %s, %s) = %q, %v; want %q", st.channel, st.key, st.ref, got, err, st.want)
		}
	}
	for _, st := range steps {
		got, err := s.ThreadRef(ctx, st.channel, st.key)
		if err != nil || got != st.want {
			t.Errorf("ThreadRef(%s, %s) = %q, %v; want %q", st.channel, st.key, got, err, st.want)
		}
	}
	if _, err := s.ThreadRef(ctx, "mail", "contoso/EX1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ThreadRef of another channel: %v; want ErrNotFound", err)
	}
}

// testConcurrentThreadRef races writers for one thread key: every one of
// them must be told the same, first, reference.
func testConcurrentThreadRef(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const workers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  = map[string]int{}
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			ref, err := s.SetThreadRef(ctx, "slack", "contoso/EX559755", fmt.Sprintf("ts-%d", w))
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
			got[ref]++
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("racing writers were told %d different references: %v", len(got), got)
	}
	stored, err := s.ThreadRef(ctx, "slack", "contoso/EX559755")
	if err != nil || got[stored] != workers {
		t.Errorf("stored reference %q (%v); writers were told %v", stored, err, got)
	}
}

func testTranslations(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	k := store.TranslationKey{Hash: "sha256:abc", Source: "en", Target: "ja", Provider: "deepl", GlossaryVersion: "g1"}
	if _, err := s.Translation(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Translation of an empty memory: %v; want ErrNotFound", err)
	}
	at := base()
	if err := s.PutTranslation(ctx, k, "ユーザーがメールを送信できない", at); err != nil {
		t.Fatal(err)
	}
	other := func(f func(*store.TranslationKey)) store.TranslationKey { c := k; f(&c); return c }
	if err := s.PutTranslation(ctx, other(func(c *store.TranslationKey) { c.GlossaryVersion = "g2" }), "新しい用語集", at); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  store.TranslationKey
		want string // "" = not found
	}{
		{"stored", k, "ユーザーがメールを送信できない"},
		{"other glossary", other(func(c *store.TranslationKey) { c.GlossaryVersion = "g2" }), "新しい用語集"},
		{"other hash", other(func(c *store.TranslationKey) { c.Hash = "sha256:def" }), ""},
		{"other source", other(func(c *store.TranslationKey) { c.Source = "de" }), ""},
		{"other target", other(func(c *store.TranslationKey) { c.Target = "fr" }), ""},
		{"other provider", other(func(c *store.TranslationKey) { c.Provider = "memory" }), ""},
		{"no glossary", other(func(c *store.TranslationKey) { c.GlossaryVersion = "" }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Translation(ctx, tt.key)
			if tt.want == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Translation = %q, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Translation = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// Put replaces.
	if err := s.PutTranslation(ctx, k, "ユーザーはメールを送信できません", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Translation(ctx, k); err != nil || got != "ユーザーはメールを送信できません" {
		t.Errorf("Translation after replacement = %q, %v", got, err)
	}
	if err := s.PutTranslation(ctx, store.TranslationKey{Provider: "deepl"}, "x", at); err == nil {
		t.Error("PutTranslation with an empty key succeeded")
	}
	// Translations reads many by hash, under the rest of the key only,
	// beyond one statement's share of hashes.
	var hashes []string
	want := map[string]string{k.Hash: "ユーザーはメールを送信できません"}
	for i := range 2500 {
		h := fmt.Sprintf("h%04d", i)
		hashes = append(hashes, h)
		if i%1000 == 7 {
			kk := k
			kk.Hash = h
			if err := s.PutTranslation(ctx, kk, "訳"+h, at); err != nil {
				t.Fatal(err)
			}
			want[h] = "訳" + h
			other := kk
			other.Target = "fr"
			if err := s.PutTranslation(ctx, other, "fr"+h, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.Translations(ctx, k, append(hashes, k.Hash, "missing"))
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("Translations = %v, %v; want %v", got, err, want)
	}
	if got, err := s.Translations(ctx, k, nil); err != nil || len(got) != 0 {
		t.Errorf("Translations of no hash = %v, %v", got, err)
	}
}

func testTranslationUsage(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if got, err := s.TranslationUsages(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("TranslationUsages of an empty store = %v, %v", got, err)
	}
	adds := []struct {
		provider, month string
		u               store.TranslationUsage
	}{
		{"deepl", "2025-03", store.TranslationUsage{Chars: 1200, Requests: 2, Misses: 2}},
		{"deepl", "2025-03", store.TranslationUsage{Chars: 300, Requests: 1, Misses: 1, Hits: 4, Failures: 1}},
		{"azure", "2025-03", store.TranslationUsage{Hits: 1}},
		{"deepl", "2025-02", store.TranslationUsage{Chars: 5_000_000_000, Requests: 9}}, // beyond 32 bits
		// Provider and Month inside u are ignored: the arguments decide.
		{"azure", "2025-03", store.TranslationUsage{Provider: "deepl", Month: "2024-01", Chars: 10, Requests: 1, Misses: 1}},
	}
	for _, a := range adds {
		if err := s.AddTranslationUsage(ctx, a.provider, a.month, a.u); err != nil {
			t.Fatalf("AddTranslationUsage(%s, %s): %v", a.provider, a.month, err)
		}
	}
	// Concurrent adds are not lost.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range 8 {
		wg.Go(func() {
			for range 5 {
				err := s.AddTranslationUsage(ctx, "libre", "2025-03", store.TranslationUsage{Chars: 10, Requests: 1})
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	march := []store.TranslationUsage{
		{Provider: "azure", Month: "2025-03", Chars: 10, Requests: 1, Hits: 1, Misses: 1},
		{Provider: "deepl", Month: "2025-03", Chars: 1500, Requests: 3, Hits: 4, Misses: 3, Failures: 1},
		{Provider: "libre", Month: "2025-03", Chars: 400, Requests: 40},
	}
	feb := store.TranslationUsage{Provider: "deepl", Month: "2025-02", Chars: 5_000_000_000, Requests: 9}
	tests := []struct {
		month string
		want  []store.TranslationUsage
	}{
		{"2025-03", march},
		{"", append([]store.TranslationUsage{feb}, march...)},
		{"2025-01", nil},
	}
	for _, tt := range tests {
		got, err := s.TranslationUsages(ctx, tt.month)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("TranslationUsages(%q) (-want +got):\n%s", tt.month, diff)
		}
	}
	if err := s.AddTranslationUsage(ctx, "deepl", "March", store.TranslationUsage{Chars: 1}); err == nil {
		t.Error("AddTranslationUsage with a bad month succeeded")
	}
}

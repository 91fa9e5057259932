package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/store/storetest"
)

func openT(t testing.TB, dsn string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestSQLiteFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, filepath.Join(t.TempDir(), "shdmc.db"))
	})
}

func TestSQLiteShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "shdmc.db")
		return openT(t, path), openT(t, path)
	})
}

func TestSQLiteMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, ":memory:")
	})
}

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	rel, err := filepath.Rel(mustGetwd(t), filepath.Join(dir, "rel.db"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dsn  string
		file string // the file that must exist afterwards; "" for memory
	}{
		{"plain path", filepath.Join(dir, "plain.db"), filepath.Join(dir, "plain.db")},
		{"sqlite absolute", "sqlite://" + filepath.Join(dir, "abs.db"), filepath.Join(dir, "abs.db")},
		{"sqlite relative", "sqlite://" + rel, filepath.Join(dir, "rel.db")},
		{"file URI", "file:" + filepath.Join(dir, "uri.db") + "?cache=private", filepath.Join(dir, "uri.db")},
		{"memory", ":memory:", ""},
		{"memory URI", "file::memory:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, tt.dsn)
			ctx := context.Background()
			if err := s.UpsertTenant(ctx, model.Tenant{ID: "contoso"}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Tenants(ctx); err != nil || len(got) != 1 {
				t.Fatalf("Tenants = %v, %v", got, err)
			}
			if tt.file != "" {
				if _, err := os.Stat(tt.file); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
		})
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.db")
	junk := strings.Repeat("this is not a SQLite database, just a text file\n", 100)
	if err := os.WriteFile(notDB, []byte(junk), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		dsn    string
		want   []string // substrings of the error
		target error
	}{
		{"not a database", notDB, []string{notDB, "not a database"}, nil},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "x.db"), []string{filepath.Join(dir, "no", "such", "dir", "x.db")}, nil},
		// Port 1 on loopback refuses at once: the error names the engine and
		// the host, never the password.
		{"postgres refused", "postgres://user:hunter2@127.0.0.1:1/shdmc?connect_timeout=5", []string{"open postgres store", "127.0.0.1:1"}, nil},
		{"postgres password parameter", "postgres://127.0.0.1:1/shdmc?user=u&password=hunter2&connect_timeout=5", []string{"open postgres store", "password=<redacted>"}, nil},
		{"postgresql bad port", "postgresql://user:hunter2@127.0.0.1:notaport/shdmc", []string{"open postgres store"}, nil},
		{"unknown scheme", "mysql://root:hunter2@localhost/x", []string{"unsupported DSN scheme"}, nil},
		{"empty", "", []string{"empty DSN"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(context.Background(), tt.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.dsn)
			}
			t.Logf("Open(%q): %v", tt.dsn, err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks the password", err)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("error %v is not %v", err, tt.target)
			}
		})
	}
	// The failed open left the foreign file as it was.
	got, err := os.ReadFile(notDB)
	if err != nil || string(got) != junk {
		t.Errorf("the non-database file was changed (%v)", err)
	}
}

// TestReopen checks that data and the schema version survive a reopen, and
// that migrating an up-to-date database is a no-op.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shdmc.db")
	ctx := context.Background()
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{{ItemID: "EX1", Type: model.EventIssueNew, Revision: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, "sqlite://"+path)
	evs, err := s.Events(ctx, store.EventQuery{})
	if err != nil || len(evs) != 1 || evs[0].ID != ids[0] {
		t.Fatalf("Events after reopen = %+v, %v", evs, err)
	}
	// Event IDs keep increasing after a reopen (AUTOINCREMENT).
	ids2, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Events: []model.Event{{ItemID: "EX2", Type: model.EventIssueNew, Revision: 1}}})
	if err != nil || ids2[0] <= ids[0] {
		t.Errorf("event ID after reopen = %v, %v; want > %d", ids2, err, ids[0])
	}
}

// TestTwoHandlesOneFile stands in for two processes sharing one database
// file: their writes must wait for each other (busy_timeout, BEGIN
// IMMEDIATE) instead of failing with "database is locked".
func TestTwoHandlesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shdmc.db")
	a, b := openT(t, path), openT(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w, s := range []store.Store{a, b, a, b} {
		wg.Go(func() {
			for r := range 10 {
				id := fmt.Sprintf("EX%d-%d", w, r)
				_, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
					Items:      []store.Item{{Key: model.ItemKey{ID: id}, Revision: 1, Data: []byte(`{}`)}},
					Events:     []model.Event{{ItemID: id, Type: model.EventIssueNew, Revision: 1}},
					Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: id}},
				})
				_, cerr := s.ClaimDeliveries(ctx, nil, time.Now().Add(time.Hour), time.Minute, 2)
				mu.Lock()
				errs = append(errs, err, cerr)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ids, err := b.ItemIDs(ctx, "contoso", model.SourceSHD)
	if err != nil || len(ids) != 40 {
		t.Errorf("ItemIDs = %d, %v; want 40", len(ids), err)
	}
}

// TestWithNow checks that the injected clock stamps what the store stamps.
func TestWithNow(t *testing.T) {
	fixed := time.Date(2024, 7, 19, 4, 9, 0, 123456789, time.UTC)
	s, err := store.Open(context.Background(), ":memory:", store.WithNow(func() time.Time { return fixed }), store.WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD,
		Items:      []store.Item{{Key: model.ItemKey{ID: "EX1"}, Revision: 1}},
		Events:     []model.Event{{ItemID: "EX1", Type: model.EventIssueNew, Revision: 1}},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Key: "k"}},
	}); err != nil {
		t.Fatal(err)
	}
	items, err := s.Items(ctx, "contoso", model.SourceSHD, nil)
	if err != nil || !items["EX1"].SeenAt.Equal(fixed) {
		t.Errorf("SeenAt = %v, %v; want %v", items["EX1"].SeenAt, err, fixed)
	}
	ds, err := s.ClaimDeliveries(ctx, nil, fixed, time.Minute, 10)
	if err != nil || len(ds) != 1 || !ds[0].CreatedAt.Equal(fixed) || !ds[0].Event.DetectedAt.Equal(fixed) {
		t.Errorf("claim at the store's now = %+v, %v", ds, err)
	}
	if ds, _ := s.ClaimDeliveries(ctx, nil, fixed.Add(-time.Nanosecond), time.Minute, 10); len(ds) != 0 {
		t.Errorf("delivery due before its creation: %+v", ds)
	}
}

func benchStore(b *testing.B) store.Store {
	return openT(b, filepath.Join(b.TempDir(), "bench.db"))
}

// BenchmarkCommit commits one poll of 100 items, 10 events and 10
// deliveries per iteration.
func BenchmarkCommit(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	data := []byte(strings.Repeat(`{"id":"EX559755","title":"Users can't send email","status":"investigating"}`, 20))
	n := 0
	for b.Loop() {
		n++
		bt := store.Batch{Tenant: "contoso", Source: model.SourceSHD, Cursor: &store.Cursor{Watermark: time.Now()}}
		for i := range 100 {
			bt.Items = append(bt.Items, store.Item{Key: model.ItemKey{ID: fmt.Sprintf("EX%d", i)}, Revision: n,
				Hash: "h", LastModified: time.Now(), Data: data})
		}
		for i := range 10 {
			bt.Events = append(bt.Events, model.Event{ItemID: fmt.Sprintf("EX%d", i), Type: model.EventIssuePost, Revision: n,
				Issue: &model.Issue{ID: fmt.Sprintf("EX%d", i), Title: "Users can't send email"}})
			bt.Deliveries = append(bt.Deliveries, store.NewDelivery{Event: i, Channel: "mail", Key: fmt.Sprintf("%d/%d", n, i)})
		}
		if _, err := s.Commit(ctx, bt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkItems looks up 1,000 items by ID.
func BenchmarkItems(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	bt := store.Batch{Tenant: "contoso", Source: model.SourceMC}
	var ids []string
	for i := range 1000 {
		id := fmt.Sprintf("MC%06d", i)
		ids = append(ids, id)
		bt.Items = append(bt.Items, store.Item{Key: model.ItemKey{ID: id}, Revision: 1, Hash: "h", Data: []byte(`{"id":"` + id + `"}`)})
	}
	if _, err := s.Commit(ctx, bt); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, err := s.Items(ctx, "contoso", model.SourceMC, ids)
		if err != nil || len(got) != 1000 {
			b.Fatalf("Items = %d, %v", len(got), err)
		}
	}
}

// TestConcurrentOpen opens one new file from several goroutines at once, as
// several processes starting together would: each must end up with the
// migrated schema. (goose retries creating its version table once a second,
// so a round where processes collide takes about a second.)
func TestConcurrentOpen(t *testing.T) {
	for round := range 2 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new%d.db", round))
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for range 4 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				s, err := store.Open(ctx, path)
				if err == nil {
					err = s.UpsertTenant(ctx, model.Tenant{ID: "contoso"})
					err = errors.Join(err, s.Close())
				}
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/store/storetest"
)

// postgresEnv names the variable that holds the DSN of a PostgreSQL server
// the tests may create databases on; scripts/test starts a throwaway one.
const postgresEnv = "SHDMC_TEST_POSTGRES"

// postgresServer returns the DSN of the test server. Without one the test
// is skipped on a developer's machine, and fails in CI (CI=true), where
// scripts/test always provides it.
func postgresServer(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: the PostgreSQL engine must be tested in CI (run scripts/test)", postgresEnv)
		}
		t.Skipf("PostgreSQL tests need %s=postgres://…; scripts/test starts a server and sets it", postgresEnv)
	}
	return dsn
}

// freshDatabase creates an empty database on the test server, dropped when
// the test ends, and returns its DSN.
func freshDatabase(t testing.TB) string {
	t.Helper()
	server := postgresServer(t)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, freshDatabase(t))
	})
}

func TestPostgresShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := freshDatabase(t)
		return openT(t, dsn), openT(t, dsn)
	})
}

// TestPostgresConcurrentOpen starts four workers on one new database at
// once: goose's advisory lock lets one migrate while the others wait, and
// every worker ends up with the whole schema.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := freshDatabase(t)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range 4 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := store.Open(ctx, dsn)
			if err == nil {
				id := fmt.Sprintf("t%d", w)
				_, err = s.Commit(ctx, store.Batch{Tenant: id, Source: model.SourceSHD,
					Items:      []store.Item{{Key: model.ItemKey{ID: "EX1"}, Revision: 1}},
					Events:     []model.Event{{ItemID: "EX1", Type: model.EventIssueNew, Revision: 1}},
					Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Route: "r", Key: id}},
				})
				if err == nil {
					_, err = s.AcquireTenantLeases(ctx, id, []string{id}, time.Now(), time.Minute, 0, 1)
				}
				err = errors.Join(err, s.Close())
			}
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, maxVersion int
	if err := db.QueryRow(`SELECT count(*), max(version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if applied != maxVersion {
		t.Errorf("goose_db_version has %d rows for %d migrations: some ran twice", applied, maxVersion)
	}
	s := openT(t, dsn)
	ds, err := s.Deliveries(context.Background(), nil, 0)
	if err != nil || len(ds) != 4 {
		t.Errorf("deliveries of the 4 workers = %d, %v", len(ds), err)
	}
}

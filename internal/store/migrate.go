package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// defaultProgressEvery is how often a running migration reports progress.
const defaultProgressEvery = 10 * time.Second

// migrate applies the embedded migrations of the engine, one at a time.
// Before each it logs store_migrating (the version, and for a SQLite file
// its size), while it runs store_migration_progress every progressEvery
// (how long it has run and, for SQLite, how many bytes it has written to
// the write-ahead log so far: a migration that rebuilds a table writes
// about the table's size), and after it store_migrated.
func (s *sqlStore) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrationsFS, s.d.migrations)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	popts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(s.log),
		goose.WithGoMigrations(s.goMigrations()...),
	}
	if s.d.lockMigrations {
		// Wait up to 5 minutes, checking every second, for another worker's
		// migration to finish; then this one finds nothing left to do.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("prepare migration lock: %w", err)
		}
		popts = append(popts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(s.d.goose, s.wdb, fsys, popts...)
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	// Several processes may open a new database at once. Each migration runs
	// in its own transaction, so a process that lost the race fails on a
	// migration the winner has just applied; looking again finds it applied.
	const attempts = 3
	failures := 0
	// A new, empty database is created without reports: it takes moments.
	report := false
	for first := true; ; first = false {
		cur, target, err := p.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		if cur >= target {
			return nil
		}
		if first {
			report = cur > 0
		}
		next := cur + 1
		for _, src := range p.ListSources() {
			if src.Version > cur {
				next = src.Version
				break
			}
		}
		if report {
			s.log.Info("store_migrating", append([]any{"version", next, "from", cur, "to", target}, s.fileSize()...)...)
		}
		stop := s.reportProgress(next, report)
		res, err := p.UpByOne(ctx)
		stop()
		if res != nil && res.Error == nil {
			s.log.Info("store_migrated", "version", res.Source.Version, "took", res.Duration)
		}
		if errors.Is(err, goose.ErrNoNextVersion) {
			return nil
		}
		if err == nil {
			failures = 0
			continue
		}
		if cur2, _, verr := p.GetVersions(ctx); verr == nil && cur2 > cur {
			// Another process applied it meanwhile: not a failure.
			failures = 0
			continue
		}
		failures++
		if failures == attempts || ctx.Err() != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		s.log.Warn("store_migration_retry", "attempt", failures, "err", err)
	}
}

// fileSize returns the log attributes of the SQLite file's size, or none.
func (s *sqlStore) fileSize() []any {
	if s.file == "" {
		return nil
	}
	fi, err := os.Stat(s.file)
	if err != nil {
		return nil
	}
	return []any{"file_mb", fi.Size() >> 20}
}

// reportProgress logs store_migration_progress for version every
// progressEvery until the returned function is called.
func (s *sqlStore) reportProgress(version int64, on bool) (stop func()) {
	every := s.progressEvery
	if !on || every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				attrs := []any{"version", version, "running", time.Since(start).Round(time.Second)}
				if s.file != "" {
					if fi, err := os.Stat(s.file + "-wal"); err == nil {
						attrs = append(attrs, "written_mb", fi.Size()>>20)
					}
					attrs = append(attrs, s.fileSize()...)
				}
				s.log.Info("store_migration_progress", attrs...)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

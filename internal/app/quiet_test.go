package app_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// dataVersion reads SQLite's data_version on a connection of its own: it
// changes whenever another connection commits a change to the file, and
// only then.
type dataVersion struct {
	t    *testing.T
	conn *sql.Conn
}

func openDataVersion(t *testing.T, dsn string) *dataVersion {
	t.Helper()
	db, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &dataVersion{t: t, conn: conn}
}

func (d *dataVersion) get() int64 {
	d.t.Helper()
	var v int64
	if err := d.conn.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
		d.t.Fatal(err)
	}
	return v
}

// TestQuietPollWritesNothing: with the store `shdmc` opens, a poll that
// finds nothing changed commits nothing to the SQLite file (its
// data_version stays), also the first one after a restart, which reaches
// back by the overlap; a change is still stored and announced once, and
// moves the watermark.
func TestQuietPollWritesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e := newEnv(t)
	e.clock.Set(e.sc.Steps[0].Time)
	a := e.newApp(t, ctx)
	if _, err := a.Check(ctx); err != nil { // the baseline writes
		t.Fatal(err)
	}
	dv := openDataVersion(t, e.dsn)
	cursor := func() store.Cursor {
		c, err := a.Store().Cursor(ctx, "demo", model.SourceSHD)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	quiet := func(name string) {
		t.Helper()
		before := dv.get()
		e.clock.Advance(time.Minute)
		res, err := a.Check(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if after := dv.get(); after != before || res.Events != 0 {
			t.Errorf("%s: data_version %d → %d, %d events; want no commit, no event", name, before, after, res.Events)
		}
	}
	wm := cursor().Watermark
	quiet("quiet poll")
	quiet("second quiet poll")

	// A restart: the first poll reaches back by the overlap and finds
	// nothing new either.
	_ = a.Close()
	a = e.newApp(t, ctx)
	defer func() { _ = a.Close() }()
	quiet("first poll after a restart")
	if got := cursor().Watermark; !got.Equal(wm) {
		t.Errorf("watermark moved from %s to %s without a change", wm, got)
	}

	// A change is stored, announced once and moves the watermark.
	before := dv.get()
	e.clock.Set(e.sc.Steps[1].Time)
	res, err := a.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events == 0 || dv.get() == before {
		t.Errorf("step 1 (%s): %d events, data_version %d → %d; want events and a commit", e.sc.Steps[1].Note, res.Events, before, dv.get())
	}
	if got := cursor().Watermark; !got.After(wm) {
		t.Errorf("watermark %s after a change, want after %s", got, wm)
	}
	quiet("quiet poll after the change")
}

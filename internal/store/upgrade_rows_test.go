package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// TestUpgradeCompactRows opens, on both engines, a database an older shdmc
// left at migration 00011: times as text (the zero time as its long text),
// blob keys and content hashes as hex text, events' changes inside an
// object, a delivered row that still names its claimer. Migration 00012
// converts every row in place; items, revisions, events and deliveries
// read back as before, the rows hold the compact forms, and commits,
// claims, searches and pruning go on as usual.
func TestUpgradeCompactRows(t *testing.T) {
	tests := []struct {
		name, driver string
		dsn          func(t *testing.T) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }},
		{"postgres", "pgx", func(t *testing.T) string { return freshDatabase(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dsn := tt.dsn(t)
			db, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			engine := map[string]string{"sqlite": "sqlite", "pgx": "postgres"}[tt.driver]
			if err := store.MigrateTo(ctx, engine, db, 11); err != nil {
				db.Close()
				t.Fatal(err)
			}
			at := time.Date(2025, 5, 1, 9, 0, 0, 123456789, time.UTC)
			msg := &model.Message{ID: "MC1", Title: "Teams town halls", Category: model.CategoryStayInformed,
				Services: []string{"Microsoft Teams"}, LastModified: at, Body: "<p>Town halls get captions.</p>"}
			msg2 := *msg
			msg2.Body, msg2.LastModified = "<p>Town halls get captions and 録画.</p>", at.Add(time.Hour)
			iss := &model.Issue{ID: "EX9", Title: "Mail delayed", Service: "Exchange Online", Status: model.StatusInvestigating,
				Classification: model.ClassificationIncident, LastModified: at.Add(2 * time.Hour)}
			docs := map[string][]byte{}
			key := func(v any) string {
				b, _ := json.Marshal(v)
				sum := sha256.Sum256(b)
				h := hex.EncodeToString(sum[:])
				docs[h] = b
				return h
			}
			k1, k2, k3 := key(msg), key(&msg2), key(iss)
			ts := func(t0 time.Time) string { return t0.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for h, b := range docs {
				exec(`INSERT INTO blobs (hash, data) VALUES ($1, $2)`, h, string(b))
			}
			// Content hashes: a SHA-256 in hex, a short text, a text of 32
			// characters (which must not read back as a SHA-256).
			sha := strings.Repeat("ab", 32)
			text32 := strings.Repeat("x", 32)
			type rev struct {
				tenant, src, id, hash, key string
				revision                   int
				lm, seen                   time.Time
				removed, latest            bool
			}
			revs := []rev{
				{"contoso", "mc", "MC1", sha, k1, 1, at, at, false, false},
				{"contoso", "mc", "MC1", text32, k2, 2, at.Add(time.Hour), at.Add(time.Hour), false, true},
				{"fabrikam", "mc", "MC1", "h", k1, 1, at, at.Add(time.Minute), true, true},
				{"contoso", "shd", "EX9", sha, k3, 1, at.Add(2 * time.Hour), at.Add(2 * time.Hour), false, true},
				{"contoso", "health", "Exchange", "h", "", 1, time.Time{}, at, false, true},
			}
			for _, r := range revs {
				tables := []string{"revisions"}
				if r.latest {
					tables = append(tables, "items")
				}
				for _, table := range tables {
					exec(`INSERT INTO `+table+` (tenant, source, id, revision, hash, last_modified, seen_at, removed, data, data_hash)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9)`,
						r.tenant, r.src, r.id, r.revision, r.hash, ts(r.lm), ts(r.seen), r.removed, r.key)
				}
			}
			events := []model.Event{
				{ID: 1, Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageNew, Revision: 1,
					DetectedAt: at, Message: msg, Changes: []model.Change{{Kind: model.ChangeNew}}},
				{ID: 2, Tenant: "contoso", Source: model.SourceMC, ItemID: "MC1", Type: model.EventMessageUpdated, Revision: 2,
					DetectedAt: at.Add(time.Hour), Message: &msg2, Changes: []model.Change{{Kind: model.ChangeBodySection, Field: "Body", To: "録画"}},
					Relevance: &model.Relevance{Relevant: true, Basis: "everyone", Reason: "names no service"}},
				{ID: 3, Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX9", Type: model.EventIssueNew, Revision: 1,
					DetectedAt: at.Add(2 * time.Hour), Issue: iss, Changes: []model.Change{{Kind: model.ChangeNew}}},
				{ID: 4, Tenant: "contoso", Source: model.SourceGraph, ItemID: "graph", Type: model.EventSourceDown, Revision: 1,
					DetectedAt: at.Add(3 * time.Hour), Changes: []model.Change{{Kind: model.ChangeFailure, Field: "auth", To: "AADSTS7000215"}}},
			}
			kinds := []string{"message", "message", "issue", ""}
			for i, ev := range events {
				var data string
				if i == 1 {
					data = `{"changes":[{"kind":"body_section","field":"Body","to":"録画"}],"relevance":{"relevant":true,"basis":"everyone","reason":"names no service"}}`
				} else {
					b, _ := json.Marshal(ev.Changes)
					data = `{"changes":` + string(b) + `}`
				}
				exec(`INSERT INTO events (tenant, source, item_id, type, revision, detected_at, data, data_hash, data_kind)
					VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8)`,
					ev.Tenant, string(ev.Source), ev.ItemID, string(ev.Type), ev.Revision, ts(ev.DetectedAt), data, kinds[i])
			}
			// The first delivery was sent (by a process that named itself),
			// the others wait; the third is held until later.
			exec(`INSERT INTO outbox (event_id, channel, key, state, attempts, next_attempt, lease_until, created_at, done_at, route, kind, claimed_by)
				VALUES (1, 'mail', 'contoso/mc/MC1/1/all/mail', 'done', 1, $1, $2, $1, $3, 'all', 'notice', 'host-1-abcd')`,
				ts(at), ts(time.Time{}), ts(at.Add(time.Second)))
			for _, id := range []int{2, 3} {
				next := at
				if id == 3 {
					next = at.Add(48 * time.Hour)
				}
				exec(`INSERT INTO outbox (event_id, channel, key, state, attempts, next_attempt, lease_until, created_at, done_at, route, kind)
					VALUES ($1, 'mail', $2, 'pending', 0, $3, $4, $5, $4, 'all', 'notice')`,
					id, "k"+string(rune('0'+id)), ts(next), ts(time.Time{}), ts(at))
			}
			db.Close()

			s := openT(t, dsn)
			got, err := s.Events(ctx, store.EventQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(events, got); diff != "" {
				t.Errorf("events after the upgrade (-before +after):\n%s", diff)
			}
			if got, err := s.Events(ctx, store.EventQuery{Since: at.Add(time.Hour)}); err != nil || len(got) != 3 {
				t.Errorf("Events since the second = %d events, %v; want 3", len(got), err)
			}
			ds, err := s.Deliveries(ctx, nil, 0)
			if err != nil || len(ds) != 3 {
				t.Fatalf("Deliveries = %d, %v", len(ds), err)
			}
			byKey := map[string]store.Delivery{}
			for _, d := range ds {
				byKey[d.Key] = d
			}
			sent := byKey["contoso/mc/MC1/1/all/mail"]
			if sent.State != store.DeliveryDone || !sent.DoneAt.Equal(at.Add(time.Second)) || !sent.CreatedAt.Equal(at) ||
				!sent.NextAttempt.Equal(at) || sent.Attempts != 1 {
				t.Errorf("the sent delivery after the upgrade = %+v", sent)
			}
			if held := byKey["k3"]; !held.NextAttempt.Equal(at.Add(48*time.Hour)) || !held.DoneAt.IsZero() {
				t.Errorf("the held delivery after the upgrade = %+v", held)
			}
			// Only the due one is claimed; the held one is not.
			claimed, err := s.ClaimDeliveries(ctx, nil, at.Add(time.Hour), time.Minute, 10)
			if err != nil || len(claimed) != 1 || claimed[0].Key != "k2" {
				t.Fatalf("ClaimDeliveries after the upgrade = %+v, %v; want k2", claimed, err)
			}
			if diff := cmp.Diff(events[1], claimed[0].Event); diff != "" {
				t.Errorf("event of the claimed delivery (-before +after):\n%s", diff)
			}
			for _, r := range revs {
				h, err := s.History(ctx, r.tenant, r.id)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, got := range h {
					if got.Revision != r.revision || got.Key.Source != model.Source(r.src) {
						continue
					}
					found = true
					if got.Hash != r.hash || !got.LastModified.Equal(r.lm) || !got.SeenAt.Equal(r.seen) || got.Removed != r.removed ||
						(r.key != "" && string(got.Data) != string(docs[r.key])) {
						t.Errorf("revision %d of %s/%s after the upgrade = hash %q, modified %v, seen %v, removed %v, data %s",
							r.revision, r.tenant, r.id, got.Hash, got.LastModified, got.SeenAt, got.Removed, got.Data)
					}
				}
				if !found {
					t.Errorf("revision %d of %s/%s is missing after the upgrade", r.revision, r.tenant, r.id)
				}
			}
			items, err := s.Items(ctx, "contoso", model.SourceMC, nil)
			if err != nil || items["MC1"].Revision != 2 || items["MC1"].Hash != text32 || !items["MC1"].LastModified.Equal(at.Add(time.Hour)) {
				t.Errorf("Items after the upgrade = %+v, %v", items, err)
			}
			// Three items and the first revision of contoso's MC1 (migration
			// 00018 keeps the latest revisions in items alone).
			if st, err := s.(store.BlobStore).BlobStats(ctx); err != nil || st.Blobs != 3 || st.Refs != 4 {
				t.Errorf("BlobStats after the upgrade = %+v, %v; want 3 blobs, 4 references", st, err)
			}

			// The compact forms: integer times, keys of 32 bytes, the
			// changes alone, no claimer on a finished delivery.
			raw, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			var (
				detected, created       int64
				evData, claimer         string
				keyLen, hashLen, blobKy int
			)
			if err := raw.QueryRowContext(ctx, `SELECT e.detected_at, e.data, o.created_at, o.claimed_by FROM events e
				JOIN outbox o ON o.event_id = e.id WHERE e.id = 1`).Scan(&detected, &evData, &created, &claimer); err != nil {
				t.Fatal(err)
			}
			if detected != at.UnixNano() || created != at.UnixNano() || strings.ReplaceAll(evData, " ", "") != `[{"kind":"new"}]` || claimer != "" {
				t.Errorf("stored event 1 and its delivery = %d, %s, %d, claimed by %q", detected, evData, created, claimer)
			}
			length := map[string]string{"sqlite": "length", "pgx": "octet_length"}[tt.driver]
			if err := raw.QueryRowContext(ctx, `SELECT `+length+`(data_hash), `+length+`(hash) FROM items
				WHERE tenant = 'contoso' AND source = 'shd' AND id = 'EX9'`).Scan(&keyLen, &hashLen); err != nil {
				t.Fatal(err)
			}
			if err := raw.QueryRowContext(ctx, `SELECT max(`+length+`(hash)) FROM blobs`).Scan(&blobKy); err != nil {
				t.Fatal(err)
			}
			if keyLen != 32 || hashLen != 32 || blobKy != 32 {
				t.Errorf("stored key and hash lengths = %d, %d, blobs %d; want 32", keyLen, hashLen, blobKy)
			}

			// The notice whose key its event makes keeps no key text; the
			// migration's key hashes are the store's: the same keys are
			// still known.
			var nullKeys int
			if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE key IS NULL`).Scan(&nullKeys); err != nil || nullKeys != 1 {
				t.Errorf("outbox rows without key text = %d, %v; want 1", nullKeys, err)
			}
			for _, k := range []string{"contoso/mc/MC1/1/all/mail", "k3"} {
				if added, err := s.EnqueueDelivery(ctx, 1, store.KindNotice, "mail", "all", k, at); err != nil || added {
					t.Errorf("EnqueueDelivery(%s) after the upgrade = %v, %v; want it known", k, added, err)
				}
			}

			// New commits store and index as usual.
			r, _ := store.AsReader(s)
			msg3 := msg2
			msg3.Body, msg3.LastModified = "<p>Town halls get 録画 in May.</p>", at.Add(5*time.Hour)
			d3, _ := json.Marshal(&msg3)
			if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC, Items: []store.Item{
				{Key: model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}, Revision: 3, Hash: sha,
					LastModified: msg3.LastModified, Data: d3}}}); err != nil {
				t.Fatal(err)
			}
			if page, err := r.SearchItems(ctx, store.ItemQuery{Text: "May"}); err != nil || page.Total != 1 {
				t.Errorf("search after a new commit: %d, %v; want 1", page.Total, err)
			}
			// Pruning a year later removes the sent delivery and its event,
			// the removed item, and the blob only they
			// used; what is still due stays.
			rs, ok := s.(store.RetentionStore)
			if !ok {
				t.Fatal("the store has no retention")
			}
			if err := s.CompleteDelivery(ctx, claimed[0].ID, at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			year := at.Add(365 * 24 * time.Hour)
			ps, err := rs.Prune(ctx, store.Retention{Events: 180 * 24 * time.Hour, RemovedItems: 180 * 24 * time.Hour,
				Revisions: 180 * 24 * time.Hour}, year)
			if err != nil {
				t.Fatal(err)
			}
			// The revision: contoso's MC1 at 2, between its first and the
			// latest (its items row); fabrikam's removed MC1 has none but
			// its items row.
			if ps.Deliveries != 2 || ps.Events != 3 || ps.Items != 1 || ps.Revisions != 1 || ps.Blobs != 1 {
				t.Errorf("Prune after the upgrade = %+v; want 2 deliveries, 3 events, 1 item, 1 revision, 1 blob", ps)
			}
		})
	}
}

// TestDowngradeCompactRows rolls migration 00012 back on both engines and
// forward again: what was committed reads back the same after each step,
// and the rolled-back rows hold the text forms of 00011. Documents short
// enough to stay uncompressed survive the way back.
func TestDowngradeCompactRows(t *testing.T) {
	tests := []struct {
		name, driver string
		dsn          func(t *testing.T) string
	}{
		{"sqlite", "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "new.db") }},
		{"postgres", "pgx", func(t *testing.T) string { return freshDatabase(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dsn := tt.dsn(t)
			at := time.Date(2025, 5, 1, 9, 0, 0, 5, time.UTC)
			// A document too short to be compressed: PostgreSQL's Down
			// cannot read a compressed one (and says so).
			data := []byte(`{"id":"MC1","title":"Short"}`)
			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			key := model.ItemKey{Tenant: "contoso", Source: model.SourceMC, ID: "MC1"}
			if _, err := s.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceMC,
				Items: []store.Item{{Key: key, Revision: 1, Hash: strings.Repeat("cd", 32), LastModified: at, SeenAt: at, Data: data}},
				Events: []model.Event{{ItemID: "MC1", Type: model.EventMessageNew, Revision: 1, DetectedAt: at,
					Changes: []model.Change{{Kind: model.ChangeNew}}}},
				Deliveries: []store.NewDelivery{{Event: 0, Channel: "mail", Route: "all", Key: "contoso/mc/MC1/1/all/mail"}}}); err != nil {
				t.Fatal(err)
			}
			read := func(s store.Store) (map[string]store.Item, []model.Event, []store.Delivery) {
				t.Helper()
				items, err := s.Items(ctx, "contoso", model.SourceMC, nil)
				if err != nil {
					t.Fatal(err)
				}
				evs, err := s.Events(ctx, store.EventQuery{})
				if err != nil {
					t.Fatal(err)
				}
				ds, err := s.Deliveries(ctx, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				return items, evs, ds
			}
			items0, evs0, ds0 := read(s)
			s.Close()

			db, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			engine := map[string]string{"sqlite": "sqlite", "pgx": "postgres"}[tt.driver]
			if err := store.MigrateDownTo(ctx, engine, db, 11); err != nil {
				db.Close()
				t.Fatal(err)
			}
			var detected, hash, dataHash, blobKey string
			err = db.QueryRowContext(ctx, `SELECT e.detected_at, i.hash, i.data_hash, b.hash FROM events e
				JOIN items i ON i.id = e.item_id JOIN blobs b ON b.hash = i.data_hash`).Scan(&detected, &hash, &dataHash, &blobKey)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if detected != "2025-05-01T09:00:00.000000005Z" || hash != strings.Repeat("cd", 32) || len(dataHash) != 64 || blobKey != dataHash {
				t.Errorf("rolled-back rows: detected %q, hash %q, data_hash %q, blob %q", detected, hash, dataHash, blobKey)
			}

			s = openT(t, dsn)
			items1, evs1, ds1 := read(s)
			if diff := cmp.Diff(items0, items1); diff != "" {
				t.Errorf("items after down and up (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(evs0, evs1); diff != "" {
				t.Errorf("events after down and up (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(ds0, ds1); diff != "" {
				t.Errorf("deliveries after down and up (-before +after):\n%s", diff)
			}
		})
	}
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Microsoft publishes the same incident or Message Center post to every
// tenant it concerns, under the same ID, so a managed-service provider's
// store holds one copy of it per tenant. The copies differ when a tenant
// was polled before Microsoft's last change reached it, or when Microsoft
// itself tells tenants different things (another action date, other
// services). The reads here compare them through item_index_by_id (one
// index range per ID, whatever the number of tenants).

// CopySummary compares the copies of one item across tenants.
type CopySummary struct {
	// Tenants counts the tenants whose copy is not removed.
	Tenants int
	// Versions counts the distinct versions among them: a version is a
	// content as of a modification time (the read index's document), so
	// a copy modified later is a version of its own. 1 when every tenant
	// has the same.
	Versions int
	// ActionDates counts the distinct action-required dates (Message
	// Center), the empty date included.
	ActionDates int
	// Relevant and NotRelevant count the copies judged relevant or not
	// (Message Center); the rest were not judged.
	Relevant, NotRelevant int
}

// CopySummaries compares, for each of ids, the copies of source src that
// the tenants have, in one statement; IDs no tenant has (but as removed)
// are absent.
func (s *sqlStore) CopySummaries(ctx context.Context, src model.Source, ids []string) (map[string]CopySummary, error) {
	out := map[string]CopySummary{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := s.d.listArg(ids)
	if err != nil {
		return nil, fmt.Errorf("compare copies of %d items: %w", len(ids), err)
	}
	// item_index_by_id holds every column read here: no row is read.
	rows, err := s.rdb.QueryContext(ctx, `SELECT x.id, count(*), count(DISTINCT x.doc), count(DISTINCT x.action_by),
			sum(CASE WHEN x.relevant THEN 1 ELSE 0 END), sum(CASE WHEN NOT x.relevant THEN 1 ELSE 0 END)
		FROM item_index x
		WHERE x.source = $1 AND `+s.d.inList("x.id", 2)+` AND NOT x.removed
		GROUP BY x.id`, string(src), list)
	if err != nil {
		return nil, fmt.Errorf("compare copies of %d items: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			c  CopySummary
		)
		if err := rows.Scan(&id, &c.Tenants, &c.Versions, &c.ActionDates, &c.Relevant, &c.NotRelevant); err != nil {
			return nil, fmt.Errorf("compare copies of %d items: %w", len(ids), err)
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compare copies of %d items: %w", len(ids), err)
	}
	return out, nil
}

// ItemCopy is one tenant's copy of an item.
type ItemCopy struct {
	Tenant       string
	Revision     int
	Hash         string // content hash (fingerprint.Of)
	LastModified time.Time
	SeenAt       time.Time
	Removed      bool
	// Relevance is the verdict on a Message Center post for the tenant;
	// nil when not judged.
	Relevance *model.Relevance
	// DataHash names the copy's JSON in Copies.Data.
	DataHash string
	// Version tells versions apart as CopySummary.Versions counts them:
	// copies of one version have the same.
	Version int64
}

// Copies are the tenants' copies of one item.
type Copies struct {
	// Items are the copies, removed ones included, ordered by tenant.
	Items []ItemCopy
	// Data is the JSON of each distinct version, by ItemCopy.DataHash:
	// tenants that have the same version share one document.
	Data map[string][]byte
}

// maxVersions bounds the documents ItemCopies reads: copies beyond it
// come without Data.
const maxVersions = 50

// ItemCopies returns every tenant's copy of the item src/id in one
// statement, and the JSON of its distinct versions (at most maxVersions,
// the newest first) in another. No copy is not an error: Items is empty.
func (s *sqlStore) ItemCopies(ctx context.Context, src model.Source, id string) (Copies, error) {
	out := Copies{Data: map[string][]byte{}}
	rows, err := s.rdb.QueryContext(ctx, `SELECT i.tenant, i.revision, i.hash, i.last_modified, i.seen_at, i.removed,
			i.data_hash, x.relevance, x.doc
		FROM item_index x JOIN items i ON i.tenant = x.tenant AND i.source = x.source AND i.id = x.id
		WHERE x.source = $1 AND x.id = $2 ORDER BY x.tenant`, string(src), id)
	if err != nil {
		return Copies{}, fmt.Errorf("read copies of %s: %w", id, err)
	}
	defer rows.Close()
	newest := map[string]time.Time{}
	for rows.Next() {
		var (
			c              ItemCopy
			lm, seen       anyTime
			hash, dataHash storedHash
			relevance      string
		)
		if err := rows.Scan(&c.Tenant, &c.Revision, &hash, &lm, &seen, &c.Removed, &dataHash, &relevance, &c.Version); err != nil {
			return Copies{}, fmt.Errorf("read copies of %s: %w", id, err)
		}
		c.Hash, c.DataHash, c.LastModified, c.SeenAt = hash.s, dataHash.s, lm.t, seen.t
		c.Relevance = decodeRelevance(relevance)
		if t, ok := newest[c.DataHash]; c.DataHash != "" && (!ok || c.LastModified.After(t)) {
			newest[c.DataHash] = c.LastModified
		}
		out.Items = append(out.Items, c)
	}
	if err := rows.Err(); err != nil {
		return Copies{}, fmt.Errorf("read copies of %s: %w", id, err)
	}
	hashes := make([]string, 0, len(newest))
	for h := range newest {
		hashes = append(hashes, h)
	}
	if len(hashes) > maxVersions {
		sortByTimeDesc(hashes, newest)
		hashes = hashes[:maxVersions]
	}
	if len(hashes) == 0 {
		return out, nil
	}
	// One lookup per version (at most maxVersions): keys are stored as
	// bytes (keyArg), which a list argument of text cannot name.
	for _, h := range hashes {
		var packed []byte
		if err := s.rdb.QueryRowContext(ctx, `SELECT data FROM blobs WHERE hash = $1`, keyArg(s.d, h, false)).Scan(&packed); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue // pruned meanwhile
			}
			return Copies{}, fmt.Errorf("read versions of %s: %w", id, err)
		}
		data, err := unpackBlob(packed)
		if err != nil {
			return Copies{}, fmt.Errorf("read versions of %s: %w", id, err)
		}
		out.Data[h] = data
	}
	return out, nil
}

// sortByTimeDesc sorts keys by their time in at, newest first.
func sortByTimeDesc(keys []string, at map[string]time.Time) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && at[keys[j]].After(at[keys[j-1]]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

// Relevance returns the stored verdicts on the given items, read by
// tenant and ID (a page of 50 posts of 50 tenants is 50 look-ups, not
// 2,500).
func (s *sqlStore) Relevance(ctx context.Context, items []model.ItemKey) (map[model.ItemKey]model.Relevance, error) {
	out := map[model.ItemKey]model.Relevance{}
	var ids, tenants []string
	want := map[model.ItemKey]bool{}
	for _, k := range items {
		if k.Source != model.SourceMC || want[k] {
			continue
		}
		want[k] = true
		tenants, ids = append(tenants, k.Tenant), append(ids, k.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	pairs, err := pairsArg(tenants, ids)
	if err != nil {
		return nil, fmt.Errorf("read relevance of %d items: %w", len(items), err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT x.tenant, x.id, x.relevance FROM item_index x
		WHERE x.source = $1 AND `+s.d.inPairs("x.tenant", "x.id", 2)+` AND x.relevance <> ''`,
		string(model.SourceMC), pairs)
	if err != nil {
		return nil, fmt.Errorf("read relevance of %d items: %w", len(items), err)
	}
	defer rows.Close()
	for rows.Next() {
		var tenant, id, rel string
		if err := rows.Scan(&tenant, &id, &rel); err != nil {
			return nil, fmt.Errorf("read relevance of %d items: %w", len(items), err)
		}
		k := model.ItemKey{Tenant: tenant, Source: model.SourceMC, ID: id}
		if r := decodeRelevance(rel); r != nil && want[k] {
			out[k] = *r
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read relevance of %d items: %w", len(items), err)
	}
	return out, nil
}

// decodeRelevance reads item_index.relevance; nil when empty or not a
// verdict.
func decodeRelevance(s string) *model.Relevance {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var r model.Relevance
	if json.Unmarshal([]byte(s), &r) != nil {
		return nil
	}
	return &r
}

// Verdict is a Message Center post's services and the stored verdict on
// its relevance (nil: not judged).
type Verdict struct {
	ID        string
	Services  []string
	Relevance *model.Relevance
}

// Verdicts lists the posts of a tenant with their services and verdicts.
func (s *sqlStore) Verdicts(ctx context.Context, tenant string) ([]Verdict, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, services, relevance FROM item_index
		WHERE tenant = $1 AND source = $2 AND NOT removed ORDER BY id`, tenant, string(model.SourceMC))
	if err != nil {
		return nil, fmt.Errorf("list verdicts of %s: %w", tenant, err)
	}
	defer rows.Close()
	var out []Verdict
	for rows.Next() {
		var (
			v             Verdict
			services, rel string
		)
		if err := rows.Scan(&v.ID, &services, &rel); err != nil {
			return nil, fmt.Errorf("list verdicts of %s: %w", tenant, err)
		}
		for _, svc := range strings.Split(strings.Trim(services, "|"), "|") {
			if svc != "" {
				v.Services = append(v.Services, svc)
			}
		}
		v.Relevance = decodeRelevance(rel)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list verdicts of %s: %w", tenant, err)
	}
	return out, nil
}

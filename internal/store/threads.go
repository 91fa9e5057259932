package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequeueDelivery makes a delivery due again at now. A delivery never
// attempted stays pending; one that was attempted becomes retrying, so that
// its attempt count and last error keep telling its story.
func (s *sqlStore) RequeueDelivery(ctx context.Context, id int64, now time.Time) error {
	res, err := s.wdb.ExecContext(ctx, `UPDATE outbox SET
		state = CASE WHEN attempts = 0 THEN $1 ELSE $2 END,
		next_attempt = $3, lease_until = $4, done_at = $4 WHERE id = $5`,
		string(DeliveryPending), string(DeliveryRetrying), encodeNano(now), encodeNano(time.Time{}), id)
	if err != nil {
		return fmt.Errorf("requeue delivery %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("requeue delivery %d", id))
}

// ThreadRef returns the reference a channel stored for a thread key.
func (s *sqlStore) ThreadRef(ctx context.Context, channel, key string) (string, error) {
	var ref string
	err := s.rdb.QueryRowContext(ctx, `SELECT ref FROM threads WHERE channel = $1 AND thread_key = $2`,
		channel, key).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read thread %s of channel %s: %w", key, channel, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read thread %s of channel %s: %w", key, channel, err)
	}
	return ref, nil
}

// SetThreadRef stores ref for (channel, key) unless one is stored already,
// and returns the stored reference. Reading back on the write connection
// (in the same transaction) sees the winner of a race, committed or ours.
func (s *sqlStore) SetThreadRef(ctx context.Context, channel, key, ref string) (stored string, err error) {
	if ref == "" {
		return "", fmt.Errorf("store thread %s of channel %s: empty reference", key, channel)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store thread %s of channel %s: begin: %w", key, channel, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `INSERT INTO threads (channel, thread_key, ref, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (channel, thread_key) DO NOTHING`,
		channel, key, ref, encodeTime(s.now())); err != nil {
		return "", fmt.Errorf("store thread %s of channel %s: %w", key, channel, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT ref FROM threads WHERE channel = $1 AND thread_key = $2`,
		channel, key).Scan(&stored); err != nil {
		return "", fmt.Errorf("store thread %s of channel %s: read back: %w", key, channel, err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store thread %s of channel %s: %w", key, channel, err)
	}
	return stored, nil
}

// DeleteThreadRef removes the reference of (channel, key) if it is still
// ref.
func (s *sqlStore) DeleteThreadRef(ctx context.Context, channel, key, ref string) (bool, error) {
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM threads WHERE channel = $1 AND thread_key = $2 AND ref = $3`,
		channel, key, ref)
	if err != nil {
		return false, fmt.Errorf("delete thread %s of channel %s: %w", key, channel, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete thread %s of channel %s: %w", key, channel, err)
	}
	return n > 0, nil
}

// Translation returns a translation from the memory.
func (s *sqlStore) Translation(ctx context.Context, k TranslationKey) (string, error) {
	var text string
	err := s.rdb.QueryRowContext(ctx, `SELECT text FROM translations
		WHERE hash = $1 AND source = $2 AND target = $3 AND provider = $4 AND glossary_version = $5`,
		k.Hash, k.Source, k.Target, k.Provider, k.GlossaryVersion).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read translation %s %s→%s (%s): %w", k.Hash, k.Source, k.Target, k.Provider, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read translation %s %s→%s (%s): %w", k.Hash, k.Source, k.Target, k.Provider, err)
	}
	return text, nil
}

// Translations returns translations from the memory by hash, a few
// thousand hashes per statement.
func (s *sqlStore) Translations(ctx context.Context, k TranslationKey, hashes []string) (map[string]string, error) {
	out := make(map[string]string, len(hashes))
	for len(hashes) > 0 {
		part := hashes[:min(len(hashes), 2000)]
		hashes = hashes[len(part):]
		list, err := s.d.listArg(part)
		if err != nil {
			return nil, fmt.Errorf("read %d translations %s→%s (%s): %w", len(part), k.Source, k.Target, k.Provider, err)
		}
		rows, err := s.rdb.QueryContext(ctx, `SELECT hash, text FROM translations
			WHERE `+s.d.inList("hash", 1)+` AND source = $2 AND target = $3 AND provider = $4 AND glossary_version = $5`,
			list, k.Source, k.Target, k.Provider, k.GlossaryVersion)
		if err != nil {
			return nil, fmt.Errorf("read %d translations %s→%s (%s): %w", len(part), k.Source, k.Target, k.Provider, err)
		}
		for rows.Next() {
			var h, text string
			if err := rows.Scan(&h, &text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read translations: %w", err)
			}
			out[h] = text
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read translations: %w", err)
		}
	}
	return out, nil
}

// PutTranslation stores a translation, replacing an older one.
func (s *sqlStore) PutTranslation(ctx context.Context, k TranslationKey, text string, at time.Time) error {
	if k.Hash == "" || k.Source == "" || k.Target == "" {
		return fmt.Errorf("store translation: key %+v needs a hash, a source and a target", k)
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO translations
		(hash, source, target, provider, glossary_version, text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (hash, source, target, provider, glossary_version)
		DO UPDATE SET text = excluded.text, created_at = excluded.created_at`,
		k.Hash, k.Source, k.Target, k.Provider, k.GlossaryVersion, text, encodeTime(at))
	if err != nil {
		return fmt.Errorf("store translation %s %s→%s (%s): %w", k.Hash, k.Source, k.Target, k.Provider, err)
	}
	return nil
}

// AddTranslationUsage adds to a provider's counters for a month.
func (s *sqlStore) AddTranslationUsage(ctx context.Context, provider, month string, u TranslationUsage) error {
	if _, err := time.Parse("2006-01", month); err != nil {
		return fmt.Errorf("add translation usage of %s: month %q is not YYYY-MM", provider, month)
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO translation_usage
		(provider, month, chars, requests, hits, misses, failures) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (provider, month) DO UPDATE SET
			chars = translation_usage.chars + excluded.chars,
			requests = translation_usage.requests + excluded.requests,
			hits = translation_usage.hits + excluded.hits,
			misses = translation_usage.misses + excluded.misses,
			failures = translation_usage.failures + excluded.failures`,
		provider, month, u.Chars, u.Requests, u.Hits, u.Misses, u.Failures)
	if err != nil {
		return fmt.Errorf("add translation usage of %s in %s: %w", provider, month, err)
	}
	return nil
}

// TranslationUsages returns the counters of every provider for a month ("" =
// every month), ordered by month and provider.
func (s *sqlStore) TranslationUsages(ctx context.Context, month string) ([]TranslationUsage, error) {
	q := `SELECT provider, month, chars, requests, hits, misses, failures FROM translation_usage`
	var args []any
	if month != "" {
		q += ` WHERE month = $1`
		args = append(args, month)
	}
	q += ` ORDER BY month, provider`
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list translation usage: %w", err)
	}
	defer rows.Close()
	var out []TranslationUsage
	for rows.Next() {
		var u TranslationUsage
		if err := rows.Scan(&u.Provider, &u.Month, &u.Chars, &u.Requests, &u.Hits, &u.Misses, &u.Failures); err != nil {
			return nil, fmt.Errorf("list translation usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list translation usage: %w", err)
	}
	return out, nil
}

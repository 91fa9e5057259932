package config

import "time"

// Retention says how long the store keeps what it no longer needs to work
// (store.Prune applies it in small batches; `shdmc store prune` runs it
// once). Each period counts from the row's own time; 0d keeps that kind
// forever. Durations take days: 180d.
type Retention struct {
	// Events are detected changes (the history behind notices and the
	// API's events), removed with their delivered outbox rows this long
	// after detection (default 180d). An event whose delivery is still
	// pending or retrying is kept.
	Events Duration `yaml:"events"`
	// Revisions of an item other than its first and its latest are removed
	// this long after they were stored (default 365d), except the ones a
	// delivery that is still due refers to (and the revision before it,
	// which its diff shows).
	Revisions Duration `yaml:"revisions"`
	// DeadLetters are deliveries that gave up (state dead), removed this
	// long after they were queued (default 90d): long enough to notice and
	// requeue them after a holiday.
	DeadLetters Duration `yaml:"dead_letters"`
	// RemovedItems are items gone from Microsoft's lists (Message Center
	// posts expire, old incidents drop out), removed with all their
	// revisions this long after they disappeared (default 180d).
	RemovedItems Duration `yaml:"removed_items"`
	// Every is how often `shdmc run` prunes (default 1h; at least 1m).
	Every Duration `yaml:"every"`
}

func defaultRetention() Retention {
	const day = 24 * time.Hour
	return Retention{
		Events:       Duration(180 * day),
		Revisions:    Duration(365 * day),
		DeadLetters:  Duration(90 * day),
		RemovedItems: Duration(180 * day),
		Every:        Duration(time.Hour),
	}
}

func (v *validator) retention() {
	r := &v.c.Retention
	for key, d := range map[string]Duration{"events": r.Events, "revisions": r.Revisions,
		"dead_letters": r.DeadLetters, "removed_items": r.RemovedItems} {
		if d < 0 {
			v.errf("retention."+key, "must not be negative, got %s (0d keeps forever)", d)
		} else if d > 0 && d < Duration(24*time.Hour) {
			v.errf("retention."+key, "%s is below the minimum of 1d (0d keeps forever)", d)
		}
	}
	if r.Every < Duration(time.Minute) {
		v.errf("retention.every", "%s is below the minimum of 1m", r.Every)
	}
}

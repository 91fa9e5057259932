// Package store keeps everything shdmc knows: tenants, the current JSON of
// every item with each of its revisions, per-tenant per-source cursors
// (watermarks), detected events, and the outbox of deliveries that channels
// consume. One interface, engines per database; Open picks the engine from
// the DSN.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is implemented by every engine. All methods are safe for concurrent use.
// It includes the outage state (HealthStore), worker coordination
// (ClusterStore), the tenants kept in the database (TenantRegistry) and
// storage statistics (BlobStore), retention (RetentionStore) and the
// ownership of items (HandlingStore): every engine has all of them, so no
// caller needs to ask whether one is there.
type Store interface {
	HealthStore
	ClusterStore
	TenantRegistry
	BlobStore
	RetentionStore
	HandlingStore

	// Close releases the database.
	Close() error

	// UpsertTenant inserts or renames a tenant.
	UpsertTenant(ctx context.Context, t model.Tenant) error
	// Tenants lists the known tenants ordered by ID.
	Tenants(ctx context.Context) ([]model.Tenant, error)

	// Items returns the current state of the named items of one tenant and
	// source, keyed by item ID; ids == nil means every item, removed ones
	// included. Missing IDs are simply absent from the map.
	Items(ctx context.Context, tenant string, src model.Source, ids []string) (map[string]Item, error)
	// ItemIDs lists the IDs of the items of a tenant and source that are not
	// marked removed.
	ItemIDs(ctx context.Context, tenant string, src model.Source) ([]string, error)

	// Cursor returns the polling cursor of a tenant and source; the zero
	// Cursor (and no error) when none was stored yet.
	Cursor(ctx context.Context, tenant string, src model.Source) (Cursor, error)

	// Commit writes one poll's result in a single transaction: item upserts
	// (a revision row is appended whenever Item.Revision is new), events,
	// their outbox rows and the new cursor. It returns the IDs assigned to
	// b.Events, in order. Either all of it is stored or nothing is.
	Commit(ctx context.Context, b Batch) ([]int64, error)
	// CommitAll writes the batches of several sources of one poll in a
	// single transaction, each as Commit would, in order: the poll groups
	// events across its sources (an incident's event lists the service
	// health flips it explains), and they must be stored together. It
	// returns the event IDs of each batch. Either all of it is stored or
	// nothing is.
	CommitAll(ctx context.Context, bs []Batch) ([][]int64, error)

	// History returns every stored revision of an item, oldest first. An
	// empty tenant matches every tenant. ErrNotFound when there is none.
	History(ctx context.Context, tenant, itemID string) ([]Revision, error)
	// Events returns stored events matching q, oldest first.
	Events(ctx context.Context, q EventQuery) ([]model.Event, error)

	// ClaimDeliveries leases up to limit due deliveries (pending or retrying,
	// NextAttempt <= now, lease expired) of the given channels (all when
	// empty), oldest first, so that no other worker claims them until
	// now+lease.
	ClaimDeliveries(ctx context.Context, channels []string, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// ExtendDeliveryClaims moves the lease of those of the deliveries ids
	// that this store's worker claimed and still holds at now (not yet
	// recorded, deferred or released, and not claimed by another worker
	// since) to until, so that a long send keeps its claim. It returns how
	// many it extended.
	ExtendDeliveryClaims(ctx context.Context, ids []int64, now, until time.Time) (int, error)
	// ReclaimDeliveries releases the deliveries claimed by processes that
	// are gone (WorkerGone): they become claimable at once instead of when
	// their lease ends. It returns how many were released.
	ReclaimDeliveries(ctx context.Context, now time.Time) (int, error)
	// CompleteDelivery marks a claimed delivery as sent.
	CompleteDelivery(ctx context.Context, id int64, at time.Time) error
	// FailDelivery records a failed attempt: the delivery becomes due again
	// at retryAt, or dead (never retried) when dead is true.
	FailDelivery(ctx context.Context, id int64, at time.Time, lastErr string, retryAt time.Time, dead bool) error
	// Deliveries lists deliveries in the given states (all when empty),
	// newest first, at most limit.
	Deliveries(ctx context.Context, states []DeliveryState, limit int) ([]Delivery, error)
	// RequeueDelivery makes a delivery (any state) due again at now, with
	// its attempt count and last error kept for the record. ErrNotFound
	// when there is no such delivery.
	RequeueDelivery(ctx context.Context, id int64, now time.Time) error
	// DeferDelivery makes a pending or retrying delivery due at until,
	// releasing its lease, without counting an attempt (quiet hours,
	// digests); note is kept as its last error. ErrNotFound when there is
	// no such delivery in those states.
	DeferDelivery(ctx context.Context, id int64, until time.Time, note string) error
	// EnqueueDelivery adds a delivery of a stored event (a translation
	// that follows its notice), due at notBefore; false when a delivery
	// with that key exists already.
	EnqueueDelivery(ctx context.Context, eventID int64, kind DeliveryKind, channel, route, key string, notBefore time.Time) (bool, error)

	// ThreadRef returns the reference a channel stored for a thread key
	// (e.g. the Slack ts of the first message about an item), or
	// ErrNotFound.
	ThreadRef(ctx context.Context, channel, key string) (string, error)
	// SetThreadRef stores ref for (channel, key) unless one is stored
	// already; it returns the stored reference (the first one wins).
	SetThreadRef(ctx context.Context, channel, key, ref string) (string, error)
	// DeleteThreadRef removes the reference of (channel, key) if it is
	// still ref (a ticket channel found the ticket deleted), so that
	// SetThreadRef can record another; false when another reference (or
	// none) is stored.
	DeleteThreadRef(ctx context.Context, channel, key, ref string) (bool, error)
	// Tickets returns the tickets the ticket channels opened for an item
	// (their thread references under a "ticket:" channel), ordered by
	// channel; none is not an error.
	Tickets(ctx context.Context, item model.ItemKey) ([]Ticket, error)

	// Translation returns a translation from the memory, or ErrNotFound.
	Translation(ctx context.Context, k TranslationKey) (string, error)
	// Translations returns the translations the memory holds of the texts
	// with the given hashes under k's source, target, provider and
	// glossary version (k.Hash is ignored), by hash; missing ones are
	// absent.
	Translations(ctx context.Context, k TranslationKey, hashes []string) (map[string]string, error)
	// PutTranslation stores a translation (replacing an older one).
	PutTranslation(ctx context.Context, k TranslationKey, text string, at time.Time) error
	// AddTranslationUsage adds to a provider's counters for a month
	// ("2006-01").
	AddTranslationUsage(ctx context.Context, provider, month string, u TranslationUsage) error
	// TranslationUsages returns the counters of every provider for a month
	// ("" = every month), ordered by month and provider.
	TranslationUsages(ctx context.Context, month string) ([]TranslationUsage, error)
	// PutDocTranslations records the translated text of documents
	// (searchtr.go), which full-text search then finds every item showing
	// them by; a text equal to the recorded one changes nothing.
	PutDocTranslations(ctx context.Context, list []DocTranslation) error
	// SearchDocs returns, in key order after the key after ("" from the
	// start), up to limit documents of the full-text index; with
	// untranslated set, only those with no text recorded for that
	// language.
	SearchDocs(ctx context.Context, after string, limit int, untranslated string) ([]SearchDoc, error)

	// AcquireTenantLeases is how several workers share the tenants: it
	// returns the tenants of the given list (sorted, at most max of them;
	// max <= 0 means no limit) that worker holds from now until at least
	// now+keep: a lease of the worker with less than keep left is renewed to
	// now+lease, one with more is left as it is, so that calls every few
	// seconds do not rewrite every row (keep <= 0 or over lease: every
	// lease is renewed to now+lease). Tenants the worker already holds are
	// renewed first, then free ones
	// (never leased, released, or whose lease ended at or before now) are
	// taken in ID order; a tenant another worker holds is never returned,
	// unless that worker is gone: a process of this machine that ended
	// (WorkerGone), or a worker whose registration (RegisterWorker)
	// expired, whose leases are free at once.
	// Tenants the worker holds beyond max are released, so that a worker
	// joining later finds its share free. Workers call it every cycle, well
	// before their leases end, with their own worker ID and a now from
	// clocks that roughly agree.
	AcquireTenantLeases(ctx context.Context, worker string, tenants []string, now time.Time, lease, keep time.Duration, max int) ([]string, error)
	// ReleaseTenantLeases gives up the worker's leases of the given tenants
	// (those it does not hold are ignored), e.g. when it shuts down, so that
	// other workers need not wait for the leases to end.
	ReleaseTenantLeases(ctx context.Context, worker string, tenants []string) error
}

// TranslationKey identifies one entry of the translation memory, shared
// by every tenant.
type TranslationKey struct {
	Hash            string // hash of the normalized source text
	Source, Target  string // BCP 47 language tags, e.g. "en", "ja"
	Provider        string // e.g. "deepl", or "memory" for shipped entries
	GlossaryVersion string
}

// TranslationUsage counts a provider's work in a month.
type TranslationUsage struct {
	Provider string
	Month    string // "2006-01"
	Chars    int64  // characters sent to the provider
	Requests int64
	Hits     int64 // lookups answered by the memory
	Misses   int64 // lookups that went to the provider
	Failures int64
}

// Item is the stored current state of one item.
type Item struct {
	Key          model.ItemKey
	Revision     int       // 1 for the first revision
	Hash         string    // content hash (fingerprint.Of) of Data
	LastModified time.Time // the item's lastModifiedDateTime
	SeenAt       time.Time // when this revision was first stored
	Removed      bool      // gone from the source at the last full resync
	Data         []byte    // JSON of model.Issue, model.Message or model.ServiceHealth
}

// Revision is one stored version of an item.
type Revision struct {
	Key          model.ItemKey
	Revision     int
	Hash         string
	LastModified time.Time
	SeenAt       time.Time
	Removed      bool
	Data         []byte
}

// Cursor is where polling of one tenant and source stands.
type Cursor struct {
	// Watermark is the newest lastModifiedDateTime seen; the next
	// incremental poll asks for items modified since Watermark − overlap.
	Watermark time.Time
	// LastFull is when the last full resync finished (wall clock).
	LastFull time.Time
	// Baselined is true once the first full fetch has been stored.
	Baselined bool
}

// Batch is one poll's writes for one tenant and source.
type Batch struct {
	Tenant string
	Source model.Source
	// Items to upsert. An item whose Revision is higher than the stored one
	// also gets a revision row; an item with the same Revision only updates
	// LastModified / Removed.
	Items      []Item
	Events     []model.Event
	Deliveries []NewDelivery
	// Cursor replaces the stored cursor when not nil.
	Cursor *Cursor
	// Relevance says, by item ID, whether a Message Center post of Items
	// concerns the tenant (relevance.Of); the read index keeps it with
	// the item (Reader.Relevance, ItemQuery.Relevant). An item without an
	// entry takes the Relevance of its last event in Events, else keeps
	// what the index holds.
	Relevance map[string]model.Relevance
}

// NewDelivery asks for the event b.Events[Event] to be delivered to Channel.
type NewDelivery struct {
	Event int // index into Batch.Events
	// Kind is what the delivery stands for; "" means KindNotice.
	Kind    DeliveryKind
	Channel string
	// Route is the name of the route that chose this delivery; it decides
	// language, time zone and template at delivery time.
	Route string
	// Key is the idempotency key (tenant/item/revision/route/channel). A
	// delivery whose key already exists is not inserted again.
	Key string
}

// DeliveryState is the lifecycle state of a delivery.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending  DeliveryState = "pending"  // never attempted
	DeliveryRetrying DeliveryState = "retrying" // failed, will be retried
	DeliveryDone     DeliveryState = "done"
	DeliveryDead     DeliveryState = "dead" // gave up; LastError says why
)

// Delivery is one outbox row with its event.
type Delivery struct {
	ID          int64
	Channel     string
	Route       string
	Key         string
	Kind        DeliveryKind
	State       DeliveryState
	Attempts    int
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
	DoneAt      time.Time
	Event       model.Event
}

// EventQuery filters Events.
type EventQuery struct {
	Tenant string // "" = all
	ItemID string // "" = all
	Since  time.Time
	Limit  int // 0 = no limit
}

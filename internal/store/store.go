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
type Store interface {
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
	// CompleteDelivery marks a claimed delivery as sent.
	CompleteDelivery(ctx context.Context, id int64, at time.Time) error
	// FailDelivery records a failed attempt: the delivery becomes due again
	// at retryAt, or dead (never retried) when dead is true.
	FailDelivery(ctx context.Context, id int64, at time.Time, lastErr string, retryAt time.Time, dead bool) error
	// Deliveries lists deliveries in the given states (all when empty),
	// newest first, at most limit.
	Deliveries(ctx context.Context, states []DeliveryState, limit int) ([]Delivery, error)
}

// Item is the stored current state of one item.
type Item struct {
	Key          model.ItemKey
	Revision     int       // 1 for the first revision
	Hash         string    // content hash (detect.Hash) of Data
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
}

// NewDelivery asks for the event b.Events[Event] to be delivered to Channel.
type NewDelivery struct {
	Event   int // index into Batch.Events
	Channel string
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
	Key         string
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

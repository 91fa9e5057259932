package store

import (
	"crypto/sha256"
	"database/sql"
	"fmt"

	"github.com/shdmc/shdmc/internal/model"
)

// DeliveryKind says what an outbox row (or a notice sent for several rows)
// stands for.
type DeliveryKind string

// The delivery kinds.
const (
	// KindNotice announces one event through one route and channel.
	KindNotice DeliveryKind = "notice"
	// KindFollowUp brings the translation of a notice that was sent
	// without it while the translator was unavailable.
	KindFollowUp DeliveryKind = "followup"
	// KindGroup announces a Message Center post revision once for every
	// tenant of a group_tenants route that has it.
	KindGroup DeliveryKind = "group"
	// KindDigest is a digest: one notice standing for the due deliveries
	// of a digest route and channel. It is never an outbox row of its own.
	KindDigest DeliveryKind = "digest"
	// KindTest is a test notice (`shdmc test-channel`); never an outbox row.
	KindTest DeliveryKind = "test"
	// KindEscalation sends an item nobody acknowledged to the escalation
	// channels of the route that announced it, once per route, channel
	// and item, at once (never held for the route's digest).
	KindEscalation DeliveryKind = "escalation"
)

// DeliveryKey builds the idempotency key of a delivery; it is the only
// place keys are made. A delivery whose key exists is never stored twice,
// and channels pass the key on (a webhook header, an email Message-ID).
//
//   - KindNotice: tenant/source/item/revision/route/channel of ev, and
//     "/" detail when detail is set (an ownership action, of which an item
//     revision may have several).
//   - KindFollowUp: detail (the key of the notice it follows) + "/translation".
//   - KindGroup: "group/" route/channel/item/event type/detail, where detail
//     is the content hash of the post (the same text in every tenant gives
//     the same key; the type tells a removal from an arrival).
//   - KindDigest: "digest/" route/channel/detail, where detail names the
//     first and last delivery it stands for ("12-40").
//   - KindTest: "test/" channel/detail, where detail makes it unique.
//   - KindEscalation: "escalate/" route/channel/tenant/source/item: the
//     item is escalated once, whatever its revision.
//
// The layouts are those of the keys stored before kinds existed, so that an
// upgraded outbox still recognizes what it has sent.
func DeliveryKey(k DeliveryKind, ev *model.Event, route, channel, detail string) string {
	switch k {
	case KindFollowUp:
		return detail + "/translation"
	case KindGroup:
		return "group/" + route + "/" + channel + "/" + ev.ItemID + "/" + string(ev.Type) + "/" + detail
	case KindDigest:
		return "digest/" + route + "/" + channel + "/" + detail
	case KindTest:
		return "test/" + channel + "/" + detail
	case KindEscalation:
		return "escalate/" + route + "/" + channel + "/" + ev.Tenant + "/" + string(ev.Source) + "/" + ev.ItemID
	}
	key := fmt.Sprintf("%s/%s/%s/%d/%s/%s", ev.Tenant, ev.Source, ev.ItemID, ev.Revision, route, channel)
	if detail != "" {
		key += "/" + detail
	}
	return key
}

// Outbox rows are unique by keyHash of their key (migration 00012). A
// notice whose key is the one DeliveryKey makes from its event, route and
// channel stores no key text (NULL): it is made again when the row is
// read (deliveryKey).

// keyHash is the stored identity of an idempotency key: the first 16
// bytes of its SHA-256.
func keyHash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:16]
}

// storedKey is what the key column holds for a delivery of kind k with
// key of event ev: nil when key can be made again, else key.
func storedKey(k DeliveryKind, key string, ev *model.Event, route, channel string) any {
	if k == KindNotice && key == DeliveryKey(KindNotice, ev, route, channel, "") {
		return nil
	}
	return key
}

// deliveryKey is the key of a stored delivery: the stored text, or the
// one made from its event, route and channel.
func deliveryKey(stored sql.NullString, ev *model.Event, route, channel string) string {
	if stored.Valid {
		return stored.String
	}
	return DeliveryKey(KindNotice, ev, route, channel, "")
}

// kindOr returns k, or KindNotice when k is empty.
func kindOr(k DeliveryKind) DeliveryKind {
	if k == "" {
		return KindNotice
	}
	return k
}

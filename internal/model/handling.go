package model

// Handling is how far the people who run a tenant have got with one of its
// items (an incident or advisory, a Message Center post): what they
// acknowledged, finished or set aside on the dashboard.
type Handling string

// The handling states of an item.
const (
	// HandlingOpen: nobody acknowledged the item yet (or it was reopened).
	// An item with an owner but no acknowledgement is still open.
	HandlingOpen Handling = "open"
	// HandlingAcknowledged: someone has seen it and is on it.
	HandlingAcknowledged Handling = "acknowledged"
	// HandlingDone: dealt with.
	HandlingDone Handling = "done"
	// HandlingNotApplicable: it does not concern this tenant.
	HandlingNotApplicable Handling = "not_applicable"
)

// Handlings lists the handling states in the order of their lifecycle.
func Handlings() []Handling {
	return []Handling{HandlingOpen, HandlingAcknowledged, HandlingDone, HandlingNotApplicable}
}

// Known reports whether h is one of Handlings.
func (h Handling) Known() bool {
	switch h {
	case HandlingOpen, HandlingAcknowledged, HandlingDone, HandlingNotApplicable:
		return true
	}
	return false
}

// The events of ownership: people acting on an item from the dashboard
// (Event.By names who), and the poller escalating what nobody
// acknowledged. Each is an event of the item it concerns, with the item as
// it is now, so that it shows in the item's history and routes can match
// it; a route delivers them only when its match.events names them.
const (
	// EventItemAssigned: the item's owner changed (ChangeOwner).
	EventItemAssigned EventType = "item.assigned"
	// EventItemAcknowledged: someone acknowledged the item
	// (ChangeHandling to acknowledged).
	EventItemAcknowledged EventType = "item.acknowledged"
	// EventItemDone: the item was marked done.
	EventItemDone EventType = "item.done"
	// EventItemNotApplicable: the item was marked not applicable.
	EventItemNotApplicable EventType = "item.not_applicable"
	// EventItemReopened: the item was opened again after it had been
	// acknowledged, done or set aside.
	EventItemReopened EventType = "item.reopened"
	// EventItemEscalated is not an action: the poller raises it when an
	// incident or a Message Center post with an action-required date that
	// a route announced stayed open longer than the route's
	// escalate.unacknowledged_after (ChangeEscalation).
	EventItemEscalated EventType = "item.escalated"
)

// OwnershipEventTypes lists the event types of ownership.
func OwnershipEventTypes() []EventType {
	return []EventType{EventItemAssigned, EventItemAcknowledged, EventItemDone, EventItemNotApplicable,
		EventItemReopened, EventItemEscalated}
}

// IsOwnership reports whether t is an event type of ownership: an event
// that records what people did with an item (or that nobody did), not a
// change Microsoft made to it.
func (t EventType) IsOwnership() bool {
	switch t {
	case EventItemAssigned, EventItemAcknowledged, EventItemDone, EventItemNotApplicable, EventItemReopened, EventItemEscalated:
		return true
	}
	return false
}

// The change kinds of ownership events.
const (
	// ChangeOwner: the owner changed From → To ("" for none).
	ChangeOwner ChangeKind = "owner"
	// ChangeHandling: the handling state changed From → To (Handling
	// values).
	ChangeHandling ChangeKind = "handling"
	// ChangeNote: the action came with a note (To).
	ChangeNote ChangeKind = "note"
	// ChangeEscalation: nobody acknowledged the item within To (a Go
	// duration, "4h0m0s") of the first notice of route Field, sent at From
	// (RFC 3339).
	ChangeEscalation ChangeKind = "escalation"
)

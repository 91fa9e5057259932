package model

import "time"

// EventType is the kind of change an event reports. One poll produces at most
// one event per item; the event's Changes list every field that changed, and
// Type names the most significant of them.
type EventType string

// The event types detect produces.
const (
	EventIssueNew          EventType = "issue.new"            // first sight of an issue
	EventIssuePost         EventType = "issue.post"           // Microsoft added a post
	EventIssueStatus       EventType = "issue.status"         // status changed (from → to)
	EventIssueResolved     EventType = "issue.resolved"       // isResolved became true
	EventIssueReopened     EventType = "issue.reopened"       // isResolved became false again
	EventIssueClassified   EventType = "issue.classification" // advisory ↔ incident
	EventIssueEdited       EventType = "issue.edited"         // title, impact, end time, … edited
	EventIssueRemoved      EventType = "issue.removed"        // gone from a full resync
	EventMessageNew        EventType = "mc.new"
	EventMessageUpdated    EventType = "mc.updated"
	EventMessageActionDate EventType = "mc.action_date" // actionRequiredByDateTime moved
	EventMessageRemoved    EventType = "mc.removed"
	EventServiceStatus     EventType = "service.status" // a healthOverview's status changed
	// EventDigest is not detected: the dispatcher builds it from the events
	// a digest route collected (in Items).
	EventDigest EventType = "digest"
	// EventSourceDown: a source of a tenant has failed past the threshold
	// (ItemID names the source; Changes hold one ChangeFailure).
	EventSourceDown EventType = "source.down"
	// EventSourceRestored: the source works again (Changes hold one
	// ChangeOutage with the outage's duration).
	EventSourceRestored EventType = "source.restored"
)

// The event types of the change calendar (internal/milestone).
const (
	// EventMessageSchedule: a rollout milestone the post's body states
	// moved (or a new one was given); Changes hold ChangeSchedule.
	EventMessageSchedule EventType = "mc.schedule_changed"
	// EventMessageReminder is not detected: the poller raises it N days
	// before a post's action-required date (Changes hold one
	// ChangeReminder; Revision encodes the date and N, see poll).
	EventMessageReminder EventType = "mc.reminder"
)

// Sources other than the Graph collections: the health of a tenant's Graph
// connection (source.down events), and the public status pages, whose
// items are stored as issues.
const (
	SourceGraph       Source = "graph"
	SourceM365Status  Source = "m365status"
	SourceAzureStatus Source = "azurestatus"
)

// ChangeKind names one field-level change inside an event.
type ChangeKind string

// The change kinds detect produces.
const (
	ChangeNew            ChangeKind = "new"
	ChangeRemoved        ChangeKind = "removed"
	ChangePostAdded      ChangeKind = "post_added"
	ChangePostEdited     ChangeKind = "post_edited"
	ChangeStatus         ChangeKind = "status"
	ChangeResolved       ChangeKind = "resolved"
	ChangeReopened       ChangeKind = "reopened"
	ChangeClassification ChangeKind = "classification"
	ChangeTitle          ChangeKind = "title"
	ChangeImpact         ChangeKind = "impact"
	ChangeStart          ChangeKind = "start_time"
	ChangeEnd            ChangeKind = "end_time"
	ChangeService        ChangeKind = "service"
	ChangeFeature        ChangeKind = "feature"
	ChangeOrigin         ChangeKind = "origin"
	ChangeCategory       ChangeKind = "category"
	ChangeSeverity       ChangeKind = "severity"
	ChangeServices       ChangeKind = "services"
	ChangeTags           ChangeKind = "tags"
	ChangeMajor          ChangeKind = "major_change"
	ChangeActionDate     ChangeKind = "action_required_by"
	ChangeBodySection    ChangeKind = "body_section" // Field holds the section heading
	ChangeAttachments    ChangeKind = "attachments"  // Field "replaced": same names, new files
	ChangeDetails        ChangeKind = "details"      // Field holds the detail's name
	// ChangeIncidentReport: the post-incident report became available;
	// Field holds its content type and To its size in bytes.
	ChangeIncidentReport ChangeKind = "incident_report"
	// ChangeFailure: a source failed; Field holds the failure class, From
	// the code (AADSTS…, HTTP status), To the error text.
	ChangeFailure ChangeKind = "failure"
	// ChangeOutage: an outage ended; Field holds when it began (RFC 3339),
	// To its duration in seconds, From the failure class.
	ChangeOutage ChangeKind = "outage"
)

// The change kinds of the change calendar.
const (
	// ChangeSchedule: a milestone of a post moved; Field holds the
	// milestone's name ("Targeted Release: rollout begins"), From and To
	// its ranges as milestone.Range.String writes them ("2024-06-11/2024-06-20",
	// "2024-06-14"); From is empty for a new milestone.
	ChangeSchedule ChangeKind = "schedule"
	// ChangeReminder: the action-required date To (RFC 3339) is Field days
	// away.
	ChangeReminder ChangeKind = "reminder"
)

// Change is one field-level difference between two revisions. From and To
// are display-neutral text (enum values, RFC 3339 times, plain strings); an
// empty From means the field was unset before.
type Change struct {
	Kind  ChangeKind `json:"kind"`
	Field string     `json:"field,omitempty"`
	From  string     `json:"from,omitempty"`
	To    string     `json:"to,omitempty"`
}

// Event is one detected change of one item, with the item as it is now.
// Exactly one of Issue, Message and Service is set, matching Source.
type Event struct {
	ID         int64     `json:"id,omitempty"` // assigned by the store
	Tenant     string    `json:"tenant"`
	Source     Source    `json:"source"`
	ItemID     string    `json:"itemId"`
	Type       EventType `json:"type"`
	Revision   int       `json:"revision"` // revision number of the item after the change
	Changes    []Change  `json:"changes,omitempty"`
	DetectedAt time.Time `json:"detectedAt"`
	Issue      *Issue    `json:"issue,omitempty"`
	Message    *Message  `json:"message,omitempty"`
	// Relevance says whether a Message Center post concerns the tenant
	// (set by the poller on Message Center events).
	Relevance *Relevance     `json:"relevance,omitempty"`
	Service   *ServiceHealth `json:"service,omitempty"`
	// By names who took the action an ownership event records (the
	// dashboard user: a basic auth user name, "token" for the bearer
	// token, "local" on a loopback dashboard without authentication).
	By string `json:"by,omitempty"`
	// Items are the events this event's notice stands for besides
	// itself: the events a digest summarizes (Type EventDigest); the
	// health overview flips of the same poll that an issue event
	// explains; or, for a service.status event that carries the flips no
	// issue explains, every one of them (itself included). A flip listed
	// here is stored as its own event too, without a notice of its own.
	Items []Event `json:"items,omitempty"`
}

// Key returns the item the event is about.
func (e *Event) Key() ItemKey { return ItemKey{Tenant: e.Tenant, Source: e.Source, ID: e.ItemID} }

// Has reports whether the event contains a change of kind k.
func (e *Event) Has(k ChangeKind) bool {
	for _, c := range e.Changes {
		if c.Kind == k {
			return true
		}
	}
	return false
}

// FieldReappeared is the Field of the ChangeNew change of an item that comes
// back after it had been marked removed.
const FieldReappeared = "reappeared"

// Relevance says whether a Message Center post concerns its tenant, on
// what basis ("licences", "service health", "everyone", "unknown") and why.
type Relevance struct {
	Relevant bool   `json:"relevant"`
	Basis    string `json:"basis"`
	Reason   string `json:"reason"`
}

// EventTypes lists the event types a route can match: those detect
// produces, the source health ones and those of ownership (not
// EventDigest, which is built after routing).
func EventTypes() []EventType {
	return []EventType{
		EventIssueNew, EventIssuePost, EventIssueStatus, EventIssueResolved, EventIssueReopened,
		EventIssueClassified, EventIssueEdited, EventIssueRemoved,
		EventMessageNew, EventMessageUpdated, EventMessageActionDate, EventMessageRemoved,
		EventServiceStatus, EventSourceDown, EventSourceRestored,
		EventMessageSchedule, EventMessageReminder,
		EventItemAssigned, EventItemAcknowledged, EventItemDone, EventItemNotApplicable, EventItemReopened, EventItemEscalated,
	}
}

// Sources lists every source an event can come from: the Graph
// collections, the health of a tenant's Graph connection and the public
// status pages.
func Sources() []Source {
	return []Source{SourceSHD, SourceMC, SourceHealth, SourceGraph, SourceM365Status, SourceAzureStatus}
}

// Package model holds the types shared by every part of shdmc: the normalized
// Microsoft 365 items (service health issues, Message Center posts, service
// health overviews), the events detected between two revisions of them, and the
// tenants they belong to. It imports nothing of ours.
//
// The item types mirror the Microsoft Graph service communications resources
// (https://learn.microsoft.com/graph/api/resources/service-communications-api-overview)
// after lenient decoding: enum values are normalized to their documented
// camelCase spelling when known and kept verbatim otherwise, and JSON null is
// the zero value.
package model

import "time"

// Source names the collection an item comes from.
type Source string

// The sources read from Microsoft Graph.
const (
	// SourceSHD is /admin/serviceAnnouncement/issues (incidents and advisories).
	SourceSHD Source = "shd"
	// SourceMC is /admin/serviceAnnouncement/messages (Message Center).
	SourceMC Source = "mc"
	// SourceHealth is /admin/serviceAnnouncement/healthOverviews.
	SourceHealth Source = "health"
)

// Tenant is one Microsoft 365 organization that shdmc watches.
type Tenant struct {
	// ID is shdmc's own short name for the tenant (from config), e.g. "contoso".
	ID string `json:"id"`
	// Name is a display name.
	Name string `json:"name,omitempty"`
}

// KeyValue mirrors the Graph keyValuePair complex type.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// Post mirrors serviceHealthIssuePost: one update Microsoft added to an issue.
type Post struct {
	Created     time.Time `json:"createdDateTime,omitzero"`
	Type        PostType  `json:"postType,omitempty"`
	ContentType string    `json:"contentType,omitempty"` // "html" or "text"
	Content     string    `json:"content,omitempty"`
}

// Issue mirrors serviceHealthIssue: an incident or advisory of the Service
// Health Dashboard.
// https://learn.microsoft.com/graph/api/resources/servicehealthissue
type Issue struct {
	ID                string         `json:"id"`
	Title             string         `json:"title"`
	Service           string         `json:"service"`
	Feature           string         `json:"feature,omitempty"`
	FeatureGroup      string         `json:"featureGroup,omitempty"`
	Classification    Classification `json:"classification"`
	Origin            Origin         `json:"origin,omitempty"`
	Status            Status         `json:"status"`
	ImpactDescription string         `json:"impactDescription,omitempty"`
	IsResolved        bool           `json:"isResolved"`
	Start             time.Time      `json:"startDateTime,omitzero"`
	End               time.Time      `json:"endDateTime,omitzero"`
	LastModified      time.Time      `json:"lastModifiedDateTime,omitzero"`
	Details           []KeyValue     `json:"details,omitempty"`
	Posts             []Post         `json:"posts,omitempty"`
}

// LatestPost returns the post with the newest creation time, or false when
// the issue has none. Graph lists posts oldest first, but the order is not
// documented, so it is not relied on.
func (i *Issue) LatestPost() (Post, bool) {
	if len(i.Posts) == 0 {
		return Post{}, false
	}
	best := 0
	for k := range i.Posts {
		if !i.Posts[k].Created.Before(i.Posts[best].Created) {
			best = k
		}
	}
	return i.Posts[best], true
}

// Attachment mirrors serviceAnnouncementAttachment (metadata only).
type Attachment struct {
	ID           string    `json:"id"`
	Name         string    `json:"name,omitempty"`
	ContentType  string    `json:"contentType,omitempty"`
	Size         int64     `json:"size,omitempty"`
	LastModified time.Time `json:"lastModifiedDateTime,omitzero"`
}

// Message mirrors serviceUpdateMessage: a Message Center post.
// https://learn.microsoft.com/graph/api/resources/serviceupdatemessage
type Message struct {
	ID               string       `json:"id"`
	Title            string       `json:"title"`
	Category         Category     `json:"category"`
	Severity         Severity     `json:"severity"`
	Services         []string     `json:"services,omitempty"`
	Tags             []string     `json:"tags,omitempty"`
	IsMajorChange    bool         `json:"isMajorChange,omitempty"`
	ActionRequiredBy time.Time    `json:"actionRequiredByDateTime,omitzero"`
	Start            time.Time    `json:"startDateTime,omitzero"`
	End              time.Time    `json:"endDateTime,omitzero"`
	LastModified     time.Time    `json:"lastModifiedDateTime,omitzero"`
	BodyType         string       `json:"bodyType,omitempty"` // "html" or "text"
	Body             string       `json:"body,omitempty"`
	HasAttachments   bool         `json:"hasAttachments,omitempty"`
	Attachments      []Attachment `json:"attachments,omitempty"`
	Details          []KeyValue   `json:"details,omitempty"`
	// AttachmentsError says why shdmc could not list the attachments (a
	// post the app may not read): the post is stored and announced without
	// them, and the listing is retried with backoff. Not part of Graph's
	// schema, and not part of the content hash.
	AttachmentsError *FetchError `json:"shdmcAttachmentsError,omitempty"`
}

// FetchError records a part of an item that could not be fetched.
type FetchError struct {
	Error string    `json:"error"`
	Since time.Time `json:"since"` // the first failure
}

// ServiceHealth mirrors serviceHealth: the overall status of one service.
// https://learn.microsoft.com/graph/api/resources/servicehealth
type ServiceHealth struct {
	ID      string `json:"id"`      // e.g. "Exchange"
	Service string `json:"service"` // display name, e.g. "Exchange Online"
	Status  Status `json:"status"`
}

// ItemKey identifies one item of one tenant.
type ItemKey struct {
	Tenant string `json:"tenant"`
	Source Source `json:"source"`
	ID     string `json:"id"`
}

// SubscribedSku mirrors the parts of Graph's subscribedSku that tell which
// services a tenant has: a commercial subscription and its service plans.
// https://learn.microsoft.com/graph/api/resources/subscribedsku
type SubscribedSku struct {
	SkuPartNumber    string        `json:"skuPartNumber"`
	CapabilityStatus string        `json:"capabilityStatus,omitempty"` // Enabled, Warning, Suspended, Deleted, LockedOut
	ServicePlans     []ServicePlan `json:"servicePlans,omitempty"`
}

// ServicePlan mirrors servicePlanInfo.
type ServicePlan struct {
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus,omitempty"` // Success, Disabled, PendingProvisioning…
}

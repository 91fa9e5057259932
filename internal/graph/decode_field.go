package graph

import (
	"strings"
)

// Member names the decoders know, across all item types.
const (
	fUnknown = iota
	fID
	fTitle
	fService
	fFeature
	fFeatureGroup
	fClassification
	fOrigin
	fStatus
	fImpactDescription
	fIsResolved
	fStartDateTime
	fEndDateTime
	fLastModifiedDateTime
	fDetails
	fPosts
	fCreatedDateTime
	fPostType
	fDescription
	fContentType
	fContent
	fName
	fValue
	fCategory
	fSeverity
	fServices
	fTags
	fIsMajorChange
	fActionRequiredByDateTime
	fBody
	fHasAttachments
	fAttachments
	fSize
	fNextLink
)

// field identifies a member name: exactly, else case-insensitively as
// encoding/json matches names.
func field(k []byte) int {
	switch string(k) {
	case "id":
		return fID
	case "title":
		return fTitle
	case "service":
		return fService
	case "feature":
		return fFeature
	case "featureGroup":
		return fFeatureGroup
	case "classification":
		return fClassification
	case "origin":
		return fOrigin
	case "status":
		return fStatus
	case "impactDescription":
		return fImpactDescription
	case "isResolved":
		return fIsResolved
	case "startDateTime":
		return fStartDateTime
	case "endDateTime":
		return fEndDateTime
	case "lastModifiedDateTime":
		return fLastModifiedDateTime
	case "details":
		return fDetails
	case "posts":
		return fPosts
	case "createdDateTime":
		return fCreatedDateTime
	case "postType":
		return fPostType
	case "description":
		return fDescription
	case "contentType":
		return fContentType
	case "content":
		return fContent
	case "name":
		return fName
	case "value":
		return fValue
	case "category":
		return fCategory
	case "severity":
		return fSeverity
	case "services":
		return fServices
	case "tags":
		return fTags
	case "isMajorChange":
		return fIsMajorChange
	case "actionRequiredByDateTime":
		return fActionRequiredByDateTime
	case "body":
		return fBody
	case "hasAttachments":
		return fHasAttachments
	case "attachments":
		return fAttachments
	case "size":
		return fSize
	case "@odata.nextLink":
		return fNextLink
	}
	if len(k) > 100 {
		return fUnknown
	}
	var buf [128]byte
	switch string(foldKey(buf[:0], k)) {
	case "ID":
		return fID
	case "TITLE":
		return fTitle
	case "SERVICE":
		return fService
	case "FEATURE":
		return fFeature
	case "FEATUREGROUP":
		return fFeatureGroup
	case "CLASSIFICATION":
		return fClassification
	case "ORIGIN":
		return fOrigin
	case "STATUS":
		return fStatus
	case "IMPACTDESCRIPTION":
		return fImpactDescription
	case "ISRESOLVED":
		return fIsResolved
	case "STARTDATETIME":
		return fStartDateTime
	case "ENDDATETIME":
		return fEndDateTime
	case "LASTMODIFIEDDATETIME":
		return fLastModifiedDateTime
	case "DETAILS":
		return fDetails
	case "POSTS":
		return fPosts
	case "CREATEDDATETIME":
		return fCreatedDateTime
	case "POSTTYPE":
		return fPostType
	case "DESCRIPTION":
		return fDescription
	case "CONTENTTYPE":
		return fContentType
	case "CONTENT":
		return fContent
	case "NAME":
		return fName
	case "VALUE":
		return fValue
	case "CATEGORY":
		return fCategory
	case "SEVERITY":
		return fSeverity
	case "SERVICES":
		return fServices
	case "TAGS":
		return fTags
	case "ISMAJORCHANGE":
		return fIsMajorChange
	case "ACTIONREQUIREDBYDATETIME":
		return fActionRequiredByDateTime
	case "BODY":
		return fBody
	case "HASATTACHMENTS":
		return fHasAttachments
	case "ATTACHMENTS":
		return fAttachments
	case "SIZE":
		return fSize
	case "@ODATA.NEXTLINK":
		return fNextLink
	}
	return fUnknown
}

// str maps the string "null" (seen in Microsoft's own examples) to "".
func str(s string) string {
	if s == "null" {
		return ""
	}
	return s
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(str(s))) }

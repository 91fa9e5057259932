package graph

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// The page decoders read the Graph JSON in one pass with the tokenizer of
// decode_scan.go, straight into the model types. They are lenient the way
// encoding/json with plain string fields was (decode_ref_test.go keeps that
// implementation as the reference they are tested against):
//
//   - member names match case-insensitively; unknown members are skipped;
//   - a member whose JSON type does not fit (a number where a string is
//     expected, an object where a list is expected) is skipped and the field
//     keeps its zero value, so one odd field never fails a page; JSON null
//     and the string "null" (seen in Microsoft's own examples) give the zero
//     value too;
//   - enum values are normalized by model.Parse* (case-insensitive, unknown
//     values kept); times are parsed leniently by parseTime;
//   - booleans accept true/false, null, the strings "true"/"false" in any
//     case and 1; anything else is false.
//
// A body that is not valid JSON is an error, as is one whose "value" is
// missing or not an array.

// decoder is a scanner plus scratch lists reused across the items of a page;
// each list is copied out to an exactly sized slice per item.
type decoder struct {
	scanner
	posts []model.Post
	kvs   []model.KeyValue
	strs  []string
	atts  []model.Attachment
	// skipped are the positions (1-based) of the elements of the page's
	// "value" array that were dropped: not objects, or without an id.
	skipped []int
}

var errNoValue = errors.New(`no "value" array in the body`)

// decodePage decodes one collection page of what, calling item for each
// object in its "value" array; item reports whether to keep it (items
// without an id are dropped). Non-object elements are skipped. skipped
// holds the positions (1-based) of the elements dropped.
func decodePage[T any](what string, data []byte, item func(*decoder, *T) (bool, error)) (items []T, next string, skipped []int, err error) {
	d := decoder{scanner: scanner{data: data}}
	items, next, err = pageBody(&d, item)
	if err != nil {
		return nil, "", nil, fmt.Errorf("decode %s page: %w", what, err)
	}
	return items, next, d.skipped, nil
}

func pageBody[T any](d *decoder, item func(*decoder, *T) (bool, error)) ([]T, string, error) {
	c, err := d.value()
	if err != nil {
		return nil, "", err
	}
	if c != '{' {
		if err := d.skip(); err != nil {
			return nil, "", err
		}
		if err := d.end(); err != nil {
			return nil, "", err
		}
		if c == 'n' {
			return nil, "", errNoValue
		}
		return nil, "", fmt.Errorf("body is a JSON %s, not an object", kindOf(c))
	}
	if err := d.open(); err != nil {
		return nil, "", err
	}
	var (
		items    []T
		have     bool
		next     string
		shapeErr error
	)
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return nil, "", err
		}
		if !more {
			break
		}
		switch field(k) {
		case fValue:
			c, err := d.value()
			if err != nil {
				return nil, "", err
			}
			switch c {
			case '[':
				if items, err = pageItems(d, item); err != nil {
					return nil, "", err
				}
				have = true
			case 'n':
				if _, err := d.literal(); err != nil {
					return nil, "", err
				}
				items, have = nil, false
			default:
				if err := d.skip(); err != nil {
					return nil, "", err
				}
				if shapeErr == nil {
					shapeErr = fmt.Errorf("\"value\" is a JSON %s, not an array", kindOf(c))
				}
			}
		case fNextLink:
			err = d.text(&next)
		default:
			err = d.skip()
		}
		if err != nil {
			return nil, "", err
		}
	}
	if err := d.end(); err != nil {
		return nil, "", err
	}
	if shapeErr != nil {
		return nil, "", shapeErr
	}
	if !have {
		return nil, "", errNoValue
	}
	if items == nil {
		items = []T{}
	}
	return items, next, nil
}

func pageItems[T any](d *decoder, item func(*decoder, *T) (bool, error)) ([]T, error) {
	if err := d.open(); err != nil {
		return nil, err
	}
	items := make([]T, 0, 16)
	d.skipped = d.skipped[:0]
	var zero T
	for pos, first := 1, true; ; pos, first = pos+1, false {
		more, err := d.nextElem(first)
		if err != nil {
			return nil, err
		}
		if !more {
			return items, nil
		}
		c, err := d.value()
		if err != nil {
			return nil, err
		}
		if c != '{' {
			if err := d.skip(); err != nil {
				return nil, err
			}
			d.skipped = append(d.skipped, pos)
			continue
		}
		items = append(items, zero)
		keep, err := item(d, &items[len(items)-1])
		if err != nil {
			return nil, err
		}
		if !keep {
			items = items[:len(items)-1]
			d.skipped = append(d.skipped, pos)
		}
	}
}

// kindOf names the JSON type of a value by its first byte, as
// encoding/json's type errors do.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// DecodeIssues decodes one page of /admin/serviceAnnouncement/issues and
// returns its items and its @odata.nextLink ("" on the last page). Items
// without an id are dropped.
func DecodeIssues(data []byte) (items []model.Issue, nextLink string, err error) {
	items, nextLink, _, err = decodePage("issues", data, decodeIssue)
	return items, nextLink, err
}

func decodeIssue(d *decoder, is *model.Issue) (bool, error) {
	if err := d.open(); err != nil {
		return false, err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return false, err
		}
		if !more {
			return is.ID != "", nil
		}
		switch field(k) {
		case fID:
			err = d.text(&is.ID)
		case fTitle:
			err = d.text(&is.Title)
		case fService:
			err = d.text(&is.Service)
		case fFeature:
			err = d.text(&is.Feature)
		case fFeatureGroup:
			err = d.text(&is.FeatureGroup)
		case fClassification:
			err = enum(d, &is.Classification, classificationOf)
		case fOrigin:
			err = enum(d, &is.Origin, originOf)
		case fStatus:
			err = enum(d, &is.Status, statusOf)
		case fImpactDescription:
			err = d.text(&is.ImpactDescription)
		case fIsResolved:
			is.IsResolved, err = d.boolVal()
		case fStartDateTime:
			err = d.time(&is.Start)
		case fEndDateTime:
			err = d.time(&is.End)
		case fLastModifiedDateTime:
			err = d.time(&is.LastModified)
		case fDetails:
			err = d.details(&is.Details)
		case fPosts:
			err = d.postList(&is.Posts)
		default:
			err = d.skip()
		}
		if err != nil {
			return false, err
		}
	}
}

// postList decodes an issue's posts; a non-object element is a zero post.
func (d *decoder) postList(dst *[]model.Post) error {
	c, err := d.value()
	if err != nil || c != '[' {
		return d.nullOrSkip(c, err, func() { *dst = nil })
	}
	if err := d.open(); err != nil {
		return err
	}
	d.posts = d.posts[:0]
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		d.posts = append(d.posts, model.Post{})
		if err := d.post(&d.posts[len(d.posts)-1]); err != nil {
			return err
		}
	}
	*dst = nil
	if len(d.posts) > 0 {
		*dst = append(make([]model.Post, 0, len(d.posts)), d.posts...)
	}
	return nil
}

// post decodes a serviceHealthIssuePost. It also takes the shape of an
// older beta, with contentType and content on the post itself; description
// wins where both are present.
func (d *decoder) post(p *model.Post) error {
	c, err := d.value()
	if err != nil || c != '{' {
		return d.nullOrSkip(c, err, nil)
	}
	if err := d.open(); err != nil {
		return err
	}
	var flatType, flat string
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return err
		}
		if !more {
			if p.Content == "" && flat != "" {
				p.Content = flat
			}
			if p.ContentType == "" {
				p.ContentType = flatType
			}
			if p.ContentType == "html" {
				p.Content = cutHTML(p.Content)
			}
			return nil
		}
		switch field(k) {
		case fCreatedDateTime:
			err = d.time(&p.Created)
		case fPostType:
			err = enum(d, &p.Type, postTypeOf)
		case fDescription:
			err = d.itemBody(&p.ContentType, &p.Content)
		case fContentType:
			var b []byte
			var ok bool
			if b, ok, err = d.strVal(); ok {
				flatType = lowerOf(b)
			}
		case fContent:
			err = d.text(&flat)
		default:
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
}

// itemBody decodes an itemBody object: {"contentType": …, "content": …}.
// The content type is lower-cased.
func (d *decoder) itemBody(contentType, content *string) error {
	c, err := d.value()
	if err != nil || c != '{' {
		return d.nullOrSkip(c, err, nil)
	}
	if err := d.open(); err != nil {
		return err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		switch field(k) {
		case fContentType:
			var b []byte
			var ok bool
			if b, ok, err = d.strVal(); ok {
				*contentType = lowerOf(b)
			}
		case fContent:
			err = d.text(content)
		default:
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
}

// DecodeMessages decodes one page of /admin/serviceAnnouncement/messages.
func DecodeMessages(data []byte) ([]model.Message, string, error) {
	items, next, _, err := decodePage("messages", data, decodeMessage)
	return items, next, err
}

func decodeMessage(d *decoder, m *model.Message) (bool, error) {
	if err := d.open(); err != nil {
		return false, err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return false, err
		}
		if !more {
			m.HasAttachments = m.HasAttachments || len(m.Attachments) > 0
			if m.BodyType == "html" {
				m.Body = cutHTML(m.Body)
			}
			return m.ID != "", nil
		}
		switch field(k) {
		case fID:
			err = d.text(&m.ID)
		case fTitle:
			err = d.text(&m.Title)
		case fCategory:
			err = enum(d, &m.Category, categoryOf)
		case fSeverity:
			err = enum(d, &m.Severity, severityOf)
		case fServices:
			err = d.strList(&m.Services)
		case fTags:
			err = d.strList(&m.Tags)
		case fIsMajorChange:
			m.IsMajorChange, err = d.boolVal()
		case fActionRequiredByDateTime:
			err = d.time(&m.ActionRequiredBy)
		case fStartDateTime:
			err = d.time(&m.Start)
		case fEndDateTime:
			err = d.time(&m.End)
		case fLastModifiedDateTime:
			err = d.time(&m.LastModified)
		case fBody:
			err = d.itemBody(&m.BodyType, &m.Body)
		case fHasAttachments:
			m.HasAttachments, err = d.boolVal()
		case fAttachments:
			err = d.attachmentList(&m.Attachments)
		case fDetails:
			err = d.details(&m.Details)
		default:
			err = d.skip()
		}
		if err != nil {
			return false, err
		}
	}
}

// DecodeHealthOverviews decodes one page of
// /admin/serviceAnnouncement/healthOverviews.
func DecodeHealthOverviews(data []byte) ([]model.ServiceHealth, string, error) {
	items, next, _, err := decodePage("health overviews", data, decodeHealth)
	return items, next, err
}

func decodeHealth(d *decoder, h *model.ServiceHealth) (bool, error) {
	if err := d.open(); err != nil {
		return false, err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return false, err
		}
		if !more {
			return h.ID != "", nil
		}
		switch field(k) {
		case fID:
			err = d.text(&h.ID)
		case fService:
			err = d.text(&h.Service)
		case fStatus:
			err = enum(d, &h.Status, statusOf)
		default:
			err = d.skip()
		}
		if err != nil {
			return false, err
		}
	}
}

// DecodeAttachments decodes one page of
// /admin/serviceAnnouncement/messages/{id}/attachments.
func DecodeAttachments(data []byte) ([]model.Attachment, string, error) {
	items, next, _, err := decodePage("attachments", data, decodeAttachment)
	return items, next, err
}

func decodeAttachment(d *decoder, a *model.Attachment) (bool, error) {
	if err := d.open(); err != nil {
		return false, err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return false, err
		}
		if !more {
			return a.ID != "", nil
		}
		switch field(k) {
		case fID:
			err = d.text(&a.ID)
		case fName:
			err = d.text(&a.Name)
		case fContentType:
			err = d.text(&a.ContentType)
		case fSize:
			err = d.size(&a.Size)
		case fLastModifiedDateTime:
			err = d.time(&a.LastModified)
		default:
			err = d.skip()
		}
		if err != nil {
			return false, err
		}
	}
}

// attachmentList decodes a message's attachments, dropping those without
// an id.
func (d *decoder) attachmentList(dst *[]model.Attachment) error {
	c, err := d.value()
	if err != nil || c != '[' {
		return d.nullOrSkip(c, err, func() { *dst = nil })
	}
	if err := d.open(); err != nil {
		return err
	}
	d.atts = d.atts[:0]
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		c, err := d.value()
		if err != nil {
			return err
		}
		if c != '{' {
			if err := d.skip(); err != nil {
				return err
			}
			continue
		}
		d.atts = append(d.atts, model.Attachment{})
		keep, err := decodeAttachment(d, &d.atts[len(d.atts)-1])
		if err != nil {
			return err
		}
		if !keep {
			d.atts = d.atts[:len(d.atts)-1]
		}
	}
	*dst = nil
	if len(d.atts) > 0 {
		*dst = append(make([]model.Attachment, 0, len(d.atts)), d.atts...)
	}
	return nil
}

// details decodes a list of keyValuePair, dropping pairs without a name.
func (d *decoder) details(dst *[]model.KeyValue) error {
	c, err := d.value()
	if err != nil || c != '[' {
		return d.nullOrSkip(c, err, func() { *dst = nil })
	}
	if err := d.open(); err != nil {
		return err
	}
	d.kvs = d.kvs[:0]
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var kv model.KeyValue
		if err := d.keyValue(&kv); err != nil {
			return err
		}
		if kv.Name != "" {
			d.kvs = append(d.kvs, kv)
		}
	}
	*dst = nil
	if len(d.kvs) > 0 {
		*dst = append(make([]model.KeyValue, 0, len(d.kvs)), d.kvs...)
	}
	return nil
}

func (d *decoder) keyValue(kv *model.KeyValue) error {
	c, err := d.value()
	if err != nil || c != '{' {
		return d.nullOrSkip(c, err, nil)
	}
	if err := d.open(); err != nil {
		return err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		switch field(k) {
		case fName:
			err = d.text(&kv.Name)
		case fValue:
			err = d.text(&kv.Value)
		default:
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
}

// strList decodes a list of strings, dropping empty and non-string ones.
func (d *decoder) strList(dst *[]string) error {
	c, err := d.value()
	if err != nil || c != '[' {
		return d.nullOrSkip(c, err, func() { *dst = nil })
	}
	if err := d.open(); err != nil {
		return err
	}
	d.strs = d.strs[:0]
	for first := true; ; first = false {
		more, err := d.nextElem(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var s string
		if err := d.text(&s); err != nil {
			return err
		}
		if s != "" {
			d.strs = append(d.strs, s)
		}
	}
	*dst = nil
	if len(d.strs) > 0 {
		*dst = append(make([]string, 0, len(d.strs)), d.strs...)
	}
	return nil
}

// nullOrSkip finishes a value of the wrong type for a list or object
// field: null calls setNull (if any), anything else is skipped, leaving the
// field as it was. err is the error of reading the value's first byte.
func (d *decoder) nullOrSkip(c byte, err error, setNull func()) error {
	if err != nil {
		return err
	}
	if c == 'n' {
		if _, err := d.literal(); err != nil {
			return err
		}
		if setNull != nil {
			setNull()
		}
		return nil
	}
	return d.skip()
}

// text decodes a string field; "null" gives "", a non-string value leaves
// dst as it was.
func (d *decoder) text(dst *string) error {
	b, ok, err := d.strVal()
	if ok {
		*dst = textOf(b)
	}
	return err
}

func textOf(b []byte) string {
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

// time decodes a DateTimeOffset field with parseTime's rules.
func (d *decoder) time(dst *time.Time) error {
	b, ok, err := d.strVal()
	if ok {
		*dst = parseTimeBytes(b)
	}
	return err
}

// size decodes an attachment size: a JSON number or a string holding one.
// Anything else, and sizes that are not positive or do not fit an int64,
// leave dst as it was.
func (d *decoder) size(dst *int64) error {
	c, err := d.value()
	if err != nil {
		return err
	}
	var b []byte
	switch c {
	case '"':
		if b, err = d.str(); err != nil {
			return err
		}
		if !validNumber(b) {
			return nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if b, err = d.number(); err != nil {
			return err
		}
	default:
		return d.skip()
	}
	*dst = sizeOf(b)
	return nil
}

// validNumber reports whether b is exactly one JSON number.
func validNumber(b []byte) bool {
	s := scanner{data: b}
	if len(b) == 0 || (b[0] != '-' && !isDigit(b[0])) {
		return false
	}
	_, err := s.number()
	return err == nil && s.pos == len(b)
}

// sizeOf converts a valid JSON number to a size: the integer if it is a
// positive int64, else the float truncated if it is in (0, 2^62), else 0.
func sizeOf(b []byte) int64 {
	if len(b) > 0 && len(b) <= 18 {
		var n int64
		for _, c := range b {
			if !isDigit(c) {
				n = -1
				break
			}
			n = n*10 + int64(c-'0')
		}
		if n >= 0 {
			return n
		}
	}
	s := string(b)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1<<62 {
		return int64(f)
	}
	return 0
}

// enum decodes a string field into an enum type with conv.
func enum[T ~string](d *decoder, dst *T, conv func([]byte) T) error {
	b, ok, err := d.strVal()
	if ok {
		*dst = conv(b)
	}
	return err
}

// The *Of functions return the model.Parse* result for the decoded string b
// (after str), without allocating for the documented spellings.

func statusOf(b []byte) model.Status {
	switch string(b) {
	case "serviceOperational":
		return model.StatusServiceOperational
	case "investigating":
		return model.StatusInvestigating
	case "restoringService":
		return model.StatusRestoringService
	case "verifyingService":
		return model.StatusVerifyingService
	case "serviceRestored":
		return model.StatusServiceRestored
	case "postIncidentReviewPublished":
		return model.StatusPostIncidentReviewPublished
	case "serviceDegradation":
		return model.StatusServiceDegradation
	case "serviceInterruption":
		return model.StatusServiceInterruption
	case "extendedRecovery":
		return model.StatusExtendedRecovery
	case "falsePositive":
		return model.StatusFalsePositive
	case "investigationSuspended":
		return model.StatusInvestigationSuspended
	case "resolved":
		return model.StatusResolved
	case "mitigatedExternal":
		return model.StatusMitigatedExternal
	case "mitigated":
		return model.StatusMitigated
	case "resolvedExternal":
		return model.StatusResolvedExternal
	case "confirmed":
		return model.StatusConfirmed
	case "reported":
		return model.StatusReported
	case "unknownFutureValue":
		return model.StatusUnknownFutureValue
	}
	return model.ParseStatus(textOf(b))
}

func classificationOf(b []byte) model.Classification {
	switch string(b) {
	case "advisory":
		return model.ClassificationAdvisory
	case "incident":
		return model.ClassificationIncident
	}
	return model.ParseClassification(textOf(b))
}

func originOf(b []byte) model.Origin {
	switch string(b) {
	case "microsoft":
		return model.OriginMicrosoft
	case "thirdParty":
		return model.OriginThirdParty
	case "customer":
		return model.OriginCustomer
	}
	return model.ParseOrigin(textOf(b))
}

func categoryOf(b []byte) model.Category {
	switch string(b) {
	case "preventOrFixIssue":
		return model.CategoryPreventOrFixIssue
	case "planForChange":
		return model.CategoryPlanForChange
	case "stayInformed":
		return model.CategoryStayInformed
	}
	return model.ParseCategory(textOf(b))
}

func severityOf(b []byte) model.Severity {
	switch string(b) {
	case "normal":
		return model.SeverityNormal
	case "high":
		return model.SeverityHigh
	case "critical":
		return model.SeverityCritical
	}
	return model.ParseSeverity(textOf(b))
}

func postTypeOf(b []byte) model.PostType {
	switch string(b) {
	case "regular":
		return model.PostRegular
	case "quick":
		return model.PostQuick
	case "strategic":
		return model.PostStrategic
	}
	return model.ParsePostType(textOf(b))
}

// lowerOf is lower for decoded bytes, without allocating for "html" and
// "text".
func lowerOf(b []byte) string {
	switch string(b) {
	case "html":
		return "html"
	case "text":
		return "text"
	}
	return lower(string(b))
}

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

// parseTimeBytes is parseTime for decoded bytes, with a fast path for the
// shapes Graph sends: "2006-01-02T15:04:05" plus 0–9 fraction digits and
// an optional "Z". Anything else goes through parseTime.
func parseTimeBytes(b []byte) time.Time {
	if len(b) == 0 || string(b) == "null" {
		return time.Time{}
	}
	if t, ok := fastTime(b); ok {
		return t
	}
	return parseTime(string(b))
}

func fastTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if !isDigit(c) {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day > 28 && day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		for k < len(rest) && isDigit(rest[k]) {
			nsec = nsec*10 + int(rest[k]-'0')
			k++
		}
		digits := k - 1
		if digits == 0 || digits > 9 {
			return time.Time{}, false
		}
		for range 9 - digits {
			nsec *= 10
		}
		rest = rest[k:]
	}
	if len(rest) == 1 && rest[0] == 'Z' {
		rest = rest[1:]
	}
	if len(rest) != 0 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseTime parses a Graph DateTimeOffset leniently: RFC 3339 with 0–9
// fraction digits and Z or an offset, or the same without a zone (taken as
// UTC), or a bare date. "", "null" and anything unparseable give the zero
// time. The result is in UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	layouts := [...]string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

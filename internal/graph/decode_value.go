package graph

import (
	"strconv"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

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

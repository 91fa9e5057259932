package graph

import (
	"github.com/shdmc/shdmc/internal/model"
)

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

package graph

import (
	"github.com/shdmc/shdmc/internal/model"
)

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

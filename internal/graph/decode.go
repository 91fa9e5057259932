package graph

import (
	"errors"
	"fmt"

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

package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the JSON tokenizer behind the page decoders: a single pass
// over the body that validates it as strictly as encoding/json does (the
// same grammar, the same maximum nesting depth, invalid UTF-8 in strings
// replaced by U+FFFD rune by rune, lone surrogate escapes replaced by
// U+FFFD), and hands string contents to the caller without copying when they
// hold no escapes.

// maxDepth is encoding/json's maximum nesting depth of arrays and objects.
const maxDepth = 10000

var errEOF = errors.New("unexpected end of JSON input")

// scanner reads one JSON document. scratch holds the unescaped text of the
// last string that had escapes; bytes returned by str are valid until the
// next call that reads a string.
type scanner struct {
	data    []byte
	pos     int
	depth   int
	scratch []byte
}

// syntaxError describes the byte at pos as unexpected in context.
func (s *scanner) syntaxError(context string) error {
	if s.pos >= len(s.data) {
		return errEOF
	}
	return fmt.Errorf("invalid character %s %s (offset %d)", quoteChar(s.data[s.pos]), context, s.pos)
}

// quoteChar formats c as encoding/json does in its syntax errors.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := fmt.Sprintf("%q", string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// ws skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) ws() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// value skips whitespace and returns the first byte of the next value, or
// an error if there is none.
func (s *scanner) value() (byte, error) {
	c := s.ws()
	switch c {
	case '{', '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return c, nil
	}
	return 0, s.syntaxError("looking for beginning of value")
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end() error {
	if s.ws(); s.pos < len(s.data) {
		return s.syntaxError("after top-level value")
	}
	return nil
}

// open consumes the '{' or '[' at pos.
func (s *scanner) open() error {
	s.pos++
	s.depth++
	if s.depth > maxDepth {
		return errors.New("exceeded max depth")
	}
	return nil
}

// nextKey moves to the next member of the object whose '{' open consumed:
// it returns the member's key with pos at its value, or more == false
// after consuming the closing '}'.
func (s *scanner) nextKey(first bool) (key []byte, more bool, err error) {
	c := s.ws()
	if c == '}' && first {
		s.pos++
		s.depth--
		return nil, false, nil
	}
	if !first {
		switch c {
		case ',':
			s.pos++
			c = s.ws()
		case '}':
			s.pos++
			s.depth--
			return nil, false, nil
		default:
			return nil, false, s.syntaxError("after object key:value pair")
		}
	}
	if c != '"' {
		return nil, false, s.syntaxError("looking for beginning of object key string")
	}
	if key, err = s.str(); err != nil {
		return nil, false, err
	}
	if s.ws() != ':' {
		return nil, false, s.syntaxError("after object key")
	}
	s.pos++
	return key, true, nil
}

// nextElem moves to the next element of the array whose '[' open consumed:
// it returns more == true with pos at the element, or false after consuming
// the closing ']'.
func (s *scanner) nextElem(first bool) (more bool, err error) {
	c := s.ws()
	if c == ']' && first {
		s.pos++
		s.depth--
		return false, nil
	}
	if !first {
		switch c {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return false, nil
		default:
			return false, s.syntaxError("after array element")
		}
	}
	return true, nil
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plain returns the index of the first byte at or after i that needs a
// closer look inside a string: '"', '\\', a control character or a
// non-ASCII byte; len(b) if there is none. It tests 16 bytes at a time: y
// = x^0x02 maps exactly the bytes below 0x20 and '"' below 0x21, and the
// classic has-less-than test (y - 0x21) &^ y & 0x80 finds them; its lowest
// set bit marks the first such byte, which is all that is used.
func plain(b []byte, i int) int {
	for ; i+16 <= len(b); i += 16 {
		m0 := special(binary.LittleEndian.Uint64(b[i:]))
		m1 := special(binary.LittleEndian.Uint64(b[i+8:]))
		if m0|m1 != 0 {
			if m0 != 0 {
				return i + bits.TrailingZeros64(m0)>>3
			}
			return i + 8 + bits.TrailingZeros64(m1)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// special marks (with bit 7 of the byte) the bytes of x that plain looks
// for; only the lowest mark is exact.
func special(x uint64) uint64 {
	y := x ^ (lsb * 0x02)
	e := x ^ (lsb * '\\')
	return (((y - lsb*0x21) &^ y) | ((e - lsb) &^ e) | x) & msb
}

// str reads the string whose opening quote is at pos and returns its
// decoded contents: a sub-slice of data when the string has no escapes and
// is valid UTF-8, else scratch.
func (s *scanner) str() ([]byte, error) {
	data := s.data
	start := s.pos + 1
	i := start
	for {
		i = plain(data, i)
		if i >= len(data) {
			s.pos = i
			return nil, errEOF
		}
		c := data[i]
		if c == '"' {
			s.pos = i + 1
			return data[start:i], nil
		}
		if c >= utf8.RuneSelf {
			if r, n := utf8.DecodeRune(data[i:]); r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
		} else if c < 0x20 {
			s.pos = i
			return nil, s.syntaxError("in string literal")
		}
		break // an escape or invalid UTF-8: unescape into scratch
	}
	b := append(s.scratch[:0], data[start:i]...)
	for {
		j := plain(data, i)
		b = append(b, data[i:j]...)
		i = j
		if i >= len(data) {
			s.pos = i
			return nil, errEOF
		}
		switch c := data[i]; {
		case c == '"':
			s.pos = i + 1
			s.scratch = b
			return b, nil
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(data[i:])
			b = utf8.AppendRune(b, r)
			i += n
		case c < 0x20:
			s.pos = i
			return nil, s.syntaxError("in string literal")
		default: // backslash
			i++
			if i >= len(data) {
				s.pos = i
				return nil, errEOF
			}
			switch e := data[i]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i++
			case 'b':
				b, i = append(b, '\b'), i+1
			case 'f':
				b, i = append(b, '\f'), i+1
			case 'n':
				b, i = append(b, '\n'), i+1
			case 'r':
				b, i = append(b, '\r'), i+1
			case 't':
				b, i = append(b, '\t'), i+1
			case 'u':
				r, err := s.hex4(i + 1)
				if err != nil {
					return nil, err
				}
				i += 5
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(data) && data[i] == '\\' && data[i+1] == 'u' {
						r2, _ = hex4(data[i+2 : i+6])
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						i += 6
						r = dec
					} else {
						r = unicode.ReplacementChar
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				s.pos = i
				return nil, s.syntaxError("in string escape code")
			}
		}
	}
}

// hex4 decodes the four hex digits of a \u escape starting at i.
func (s *scanner) hex4(i int) (rune, error) {
	for k := i; k < i+4; k++ {
		if k >= len(s.data) {
			s.pos = k
			return 0, errEOF
		}
		if _, ok := hexVal(s.data[k]); !ok {
			s.pos = k
			return 0, s.syntaxError("in \\u hexadecimal character escape")
		}
	}
	r, _ := hex4(s.data[i : i+4])
	return r, nil
}

// hex4 decodes four hex digits; false if b holds anything else.
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		v, ok := hexVal(c)
		if !ok {
			return -1, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// number reads the number at pos and returns its text.
func (s *scanner) number() ([]byte, error) {
	data := s.data
	start := s.pos
	i := start
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		s.pos = i
		return nil, errEOF
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		for i++; i < len(data) && isDigit(data[i]); i++ {
		}
	default:
		s.pos = i
		return nil, s.syntaxError("in numeric literal")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) {
			s.pos = i
			return nil, errEOF
		}
		if !isDigit(data[i]) {
			s.pos = i
			return nil, s.syntaxError("after decimal point in numeric literal")
		}
		for i++; i < len(data) && isDigit(data[i]); i++ {
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) {
			s.pos = i
			return nil, errEOF
		}
		if !isDigit(data[i]) {
			s.pos = i
			return nil, s.syntaxError("in exponent of numeric literal")
		}
		for i++; i < len(data) && isDigit(data[i]); i++ {
		}
	}
	s.pos = i
	return data[start:i], nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// literal consumes true, false or null at pos.
func (s *scanner) literal() ([]byte, error) {
	var want string
	switch s.data[s.pos] {
	case 't':
		want = "true"
	case 'f':
		want = "false"
	default:
		want = "null"
	}
	start := s.pos
	for k := 1; k < len(want); k++ {
		s.pos = start + k
		if s.pos >= len(s.data) {
			return nil, errEOF
		}
		if s.data[s.pos] != want[k] {
			return nil, s.syntaxError("in literal " + want + " (expecting " + quoteChar(want[k]) + ")")
		}
	}
	s.pos = start + len(want)
	return s.data[start:s.pos], nil
}

// skip consumes the value at pos (after whitespace), whatever it is.
func (s *scanner) skip() error {
	c, err := s.value()
	if err != nil {
		return err
	}
	switch c {
	case '{':
		if err := s.open(); err != nil {
			return err
		}
		for first := true; ; first = false {
			_, more, err := s.nextKey(first)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '[':
		if err := s.open(); err != nil {
			return err
		}
		for first := true; ; first = false {
			more, err := s.nextElem(first)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '"':
		_, err := s.str()
		return err
	case 't', 'f', 'n':
		_, err := s.literal()
		return err
	default:
		_, err := s.number()
		return err
	}
}

// strVal reads a value meant to be a string. ok is false, with the value
// consumed, for null and for any other type: the field keeps what it had,
// as encoding/json does.
func (s *scanner) strVal() (b []byte, ok bool, err error) {
	c, err := s.value()
	if err != nil {
		return nil, false, err
	}
	if c == '"' {
		b, err = s.str()
		return b, err == nil, err
	}
	return nil, false, s.skip()
}

// boolVal reads a value meant to be a bool, leniently: true, and the
// strings "true" (any case) and "1" and the number 1, are true; anything
// else, null included, is false.
func (s *scanner) boolVal() (bool, error) {
	c, err := s.value()
	if err != nil {
		return false, err
	}
	start := s.pos
	switch c {
	case '"':
		if _, err := s.str(); err != nil {
			return false, err
		}
		raw := s.data[start+1 : s.pos-1] // the text as written, escapes and all
		return string(raw) == "1" || (len(raw) == 4 &&
			raw[0]|0x20 == 't' && raw[1]|0x20 == 'r' && raw[2]|0x20 == 'u' && raw[3]|0x20 == 'e'), nil
	case 't':
		_, err := s.literal()
		return err == nil, err
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		n, err := s.number()
		return err == nil && string(n) == "1", err
	}
	return false, s.skip()
}

// foldKey folds a member name as encoding/json does to match it
// case-insensitively: ASCII upper case, other runes to the smallest rune
// of their case-fold set.
func foldKey(out, in []byte) []byte {
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}

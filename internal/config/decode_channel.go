package config

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

// decodeChannel decodes one channels entry: the keys every channel has
// into ch, the others into the settings of its type (which may be set
// after them, or through a merge key), as strictly as decodeStruct. A key
// that belongs to another type is reported as not used by this one when it
// holds a value. With a missing or unknown type, which validation reports,
// each key is still checked against the type it belongs to.
func (d *decoder) decodeChannel(n *yaml.Node, ch *Channel, path string) {
	if n.Kind != yaml.MappingNode {
		d.errAt(n, keyOr(path), "expected a mapping (key: value lines), got %s", kindName(n))
		return
	}
	pairs := d.pairs(n, 0)
	typ := d.channelTypeOf(pairs)
	var settings reflect.Value // the struct the type's keys go to
	if s, ok := d.newChannelSettings(typ); ok {
		ch.Settings = s
		settings = reflect.ValueOf(s).Elem()
	}
	common := reflect.ValueOf(ch).Elem()
	commonFields := fieldsOf(channelType)
	seen := map[string]int{}
	for _, pair := range pairs {
		k, val := pair[0], pair[1]
		name := k.Value
		key := join(path, name)
		if pair[2] == nil { // own key, not merged
			if line, dup := seen[name]; dup {
				d.errAt(k, key, "duplicate key (first set on line %d)", line)
				continue
			}
			seen[name] = k.Line
		}
		if i := fieldIndex(commonFields, name); i >= 0 {
			d.pos[key] = position{line: k.Line, col: k.Column}
			d.decode(val, common.Field(i), key, false)
			continue
		}
		if settings.IsValid() {
			if i := fieldIndex(fieldsOf(settings.Type()), name); i >= 0 {
				d.pos[key] = position{line: k.Line, col: k.Column}
				d.decode(val, settings.Field(i), key, false)
				continue
			}
		}
		if other, ok := d.otherChannelField(name, typ); ok {
			// Decoded all the same, so that its own mistakes show.
			d.pos[key] = position{line: k.Line, col: k.Column}
			before := len(d.errs)
			d.decode(val, other, key, false)
			if settings.IsValid() && len(d.errs) == before && !isEmpty(other) {
				d.errAt(k, key, "%s is not used by %s channels", name, typ)
			}
			continue
		}
		msg := "unknown key"
		s := suggest(name, d.channelKeys())
		if s != "" {
			msg += " (did you mean " + s + "?)"
		}
		d.errAt(k, key, "%s", msg)
		switch {
		case s == "":
		case s == "type" || !oneTypo(name, s):
			// The type decides the other keys; a wrong guess would mislead.
			d.failed[join(path, s)] = true
		case fieldIndex(commonFields, s) >= 0:
			d.decodeAsMeant(n, k, val, common.Field(fieldIndex(commonFields, s)), join(path, s))
		case settings.IsValid() && fieldIndex(fieldsOf(settings.Type()), s) >= 0:
			d.decodeAsMeant(n, k, val, settings.Field(fieldIndex(fieldsOf(settings.Type()), s)), join(path, s))
		default:
			d.failed[join(path, s)] = true
		}
	}
}

// channelTypeOf returns the type of a channels entry from its pairs (the
// last one wins: own keys come after merged ones), or "".
func (d *decoder) channelTypeOf(pairs [][3]*yaml.Node) string {
	typ := ""
	for _, p := range pairs {
		v := p[1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if p[0].Value != "type" || v.Kind != yaml.ScalarNode {
			continue
		}
		typ = ""
		if s, err := expandEnv(v.Value, d.env); err == nil {
			typ = s
		}
	}
	return typ
}

// newChannelSettings returns new settings of a channel type, when the
// type is known and its settings are a pointer to a struct.
func (d *decoder) newChannelSettings(typ string) (ChannelSettings, bool) {
	if d.channels == nil || typ == "" {
		return nil, false
	}
	s, ok := d.channels.NewChannelSettings(typ)
	if !ok || s == nil {
		return nil, false
	}
	if v := reflect.ValueOf(s); v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	return s, true
}

// otherChannelField returns a new value of the field a channel type other
// than skip has for key name, to decode into; false when no type has it.
func (d *decoder) otherChannelField(name, skip string) (reflect.Value, bool) {
	if d.channels == nil {
		return reflect.Value{}, false
	}
	for _, typ := range d.channels.ChannelTypeNames() {
		if typ == skip {
			continue
		}
		s, ok := d.newChannelSettings(typ)
		if !ok {
			continue
		}
		t := reflect.TypeOf(s).Elem()
		if i := fieldIndex(fieldsOf(t), name); i >= 0 {
			return reflect.New(t.Field(i).Type).Elem(), true
		}
	}
	return reflect.Value{}, false
}

// channelKeys lists the keys a channels entry may hold: the common ones,
// then those of each type in turn, each once.
func (d *decoder) channelKeys() []field {
	keys := fieldsOf(channelType)
	if d.channels == nil {
		return keys
	}
	for _, typ := range d.channels.ChannelTypeNames() {
		s, ok := d.newChannelSettings(typ)
		if !ok {
			continue
		}
		for _, f := range fieldsOf(reflect.TypeOf(s).Elem()) {
			if fieldIndex(keys, f.name) < 0 {
				keys = append(keys, f)
			}
		}
	}
	return keys
}

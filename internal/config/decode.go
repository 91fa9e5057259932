package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse decodes a configuration from data as Load does; path names the
// file in errors and is the base of relative file paths. lookupEnv resolves
// ${NAME} values and the SHDMC_* overlay; nil means an empty environment.
// channels are the channel types the configuration may use; with nil,
// every channel is of an unknown type.
func Parse(data []byte, path string, lookupEnv func(string) (string, bool), channels ChannelTypes) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	d := &decoder{
		file:     path,
		env:      lookupEnv,
		channels: channels,
		pos:      map[string]position{},
		failed:   map[string]bool{},
	}
	cfg := Default()
	cfg.Path = path
	if channels != nil {
		cfg.channelTypes = channels.ChannelTypeNames()
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{syntaxError(path, data, err)}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root := doc.Content[0]
		d.pos[""] = position{line: root.Line, col: root.Column}
		d.decode(root, reflect.ValueOf(cfg).Elem(), "", false)
	}
	d.overlay(cfg)
	d.resolve(cfg, filepath.Dir(path))
	d.overlayServe(&cfg.Serve)
	cfg.pos = d.pos
	cfg.deprecated = d.deprecated

	errs := d.errs
	var warnings Errors
	for _, p := range cfg.validate() {
		switch {
		case d.suppressed(p.Key) || slices.ContainsFunc(p.related, d.suppressed):
		case p.Warning:
			warnings = append(warnings, p.Error)
		default:
			errs = append(errs, p.Error)
		}
	}
	if len(errs) > 0 {
		// The warnings too, so that one run shows every mistake.
		return nil, append(errs, warnings...).sorted()
	}
	return cfg, nil
}

// yamlLineRE extracts the line from go-yaml's syntax errors.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a go-yaml error into an Error with a line.
func syntaxError(file string, data []byte, err error) Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Error{File: file, Line: problemLine(data, line), Msg: "invalid YAML: " + m[2]}
	}
	return Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// problemLine narrows down where a syntax error is. go-yaml reports the
// line where the enclosing block starts (a mis-indented key on line 40 of
// a tenants list is reported at the "tenants:" line), so this finds the
// shortest prefix of the document, in whole lines, that already fails to
// parse: its last line is where the mistake is. A binary search keeps it
// to a few parses.
func problemLine(data []byte, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) bool {
		var doc yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc) != nil
	}
	lo, hi := reported, len(lines) // fails(hi) holds: it is the document
	if lo < 1 || lo > hi || !fails(hi) {
		return reported
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// decoder walks a yaml.Node tree into a Config by reflection over the
// yaml struct tags, collecting every problem instead of stopping at the
// first, and remembering where each key was set.
type decoder struct {
	file     string
	env      func(string) (string, bool)
	channels ChannelTypes // nil: no channel type is known
	errs     Errors
	pos      map[string]position
	failed   map[string]bool // key paths with a reported problem
	// deprecated lists keys read under an old name.
	deprecated []string
}

// errAt records a problem at node n for key path key.
func (d *decoder) errAt(n *yaml.Node, key, format string, args ...any) {
	e := Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
	d.failed[key] = true
}

// suppressed reports whether a validation problem at key follows from a
// problem already reported for it (or for a key inside it), such as
// "missing client_secret" after "client_secret_file: cannot read".
func (d *decoder) suppressed(key string) bool {
	for k := range d.failed {
		if k == key || strings.HasPrefix(k, key+".") {
			return true
		}
	}
	for k := parentKey(key); k != ""; k = parentKey(k) {
		if d.failed[k] {
			return true
		}
	}
	return false
}

var (
	secretType   = reflect.TypeFor[Secret]()
	durationType = reflect.TypeFor[Duration]()
	channelType  = reflect.TypeFor[Channel]()
)

// kindName describes a node for "expected X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a value"
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decode sets v from n. A null value (an empty key) keeps the default.
// secret is true below keys whose value must never appear in messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string, secret bool) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	t := v.Type()
	switch {
	case t == durationType:
		s, ok := d.scalar(n, key, "a duration like 5m", false)
		if !ok {
			return
		}
		if tag := n.ShortTag(); tag == "!!int" || tag == "!!float" {
			d.errAt(n, key, "expected a duration like 5m, got %s (add a unit: s, m or h)", s)
			return
		}
		dur, err := parseDuration(s)
		if err != nil {
			d.errAt(n, key, "%v", err)
			return
		}
		v.SetInt(int64(dur))
	case t == secretType:
		s, ok := d.scalar(n, key, "a string", true)
		if ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.String:
		s, ok := d.scalar(n, key, "a string", secret)
		if ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Int:
		s, ok := d.scalar(n, key, "a whole number", secret)
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			d.errAt(n, key, "expected a whole number, got %q", s)
			return
		}
		v.SetInt(int64(i))
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			got := kindName(n)
			if n.Kind == yaml.ScalarNode {
				got = strconv.Quote(n.Value)
			}
			d.errAt(n, key, "expected true or false, got %s", got)
			return
		}
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			d.errAt(n, key, "expected true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		before := len(d.errs)
		d.decode(n, p.Elem(), key, secret)
		if len(d.errs) == before {
			v.Set(p)
		}
	case t == channelType:
		d.decodeChannel(n, v.Addr().Interface().(*Channel), key)
	case t.Kind() == reflect.Struct:
		d.decodeStruct(n, v, key)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errAt(n, key, "expected a list (lines starting with '- '), got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			k := fmt.Sprintf("%s[%d]", key, i)
			d.pos[k] = position{line: item.Line, col: item.Column}
			d.decode(item, s.Index(i), k, secret)
		}
		v.Set(s)
	default:
		// Only reachable if a field of an unsupported type is added.
		d.errAt(n, key, "cannot decode into %s", t)
	}
}

// scalar returns the expanded text of a scalar node, or reports that want
// was expected. The value is not quoted in messages when secret is true.
func (d *decoder) scalar(n *yaml.Node, key, want string, secret bool) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errAt(n, key, "expected %s, got %s", want, kindName(n))
		return "", false
	}
	s, err := expandEnv(n.Value, d.env)
	if err != nil {
		d.errAt(n, key, "%v", err)
		return "", false
	}
	return s, true
}

// expandEnv replaces ${NAME} with the value of the environment variable
// NAME; "$${" stands for a literal "${". The value itself is never part of
// an error, as it may be a secret.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", errors.New("unterminated ${ (write $${ for a literal ${)")
		}
		name := s[i+2 : i+end]
		if !envNameRE.MatchString(name) {
			return "", fmt.Errorf("invalid environment variable name %q in ${…}", name)
		}
		val, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// field is one settable key of a struct.
type field struct {
	name  string
	index int
}

// fieldsOf lists the yaml keys of a struct type in declaration order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || name == "" {
			continue
		}
		fs = append(fs, field{name: name, index: i})
	}
	return fs
}

// decodeStruct decodes a mapping into a struct, rejecting unknown and
// repeated keys. Merge keys ("<<: *defaults") are honoured: merged values
// come first and the mapping's own keys override them; a nested mapping
// such as sources is merged key by key rather than replaced.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errAt(n, keyOr(path), "expected a mapping (key: value lines), got %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for _, pair := range d.pairs(n, 0) {
		k, val := pair[0], pair[1]
		name := k.Value
		key := join(path, name)
		if path == "" && name == "health" {
			// Renamed: "health" read like Service Health (sources.health).
			name, key = "outage", "outage"
			d.deprecated = append(d.deprecated, fmt.Sprintf("%s:%d: health: is now called outage: (it is still read)", d.file, k.Line))
		}
		if pair[2] == nil { // own key, not merged
			if line, dup := seen[name]; dup {
				d.errAt(k, key, "duplicate key (first set on line %d)", line)
				continue
			}
			seen[name] = k.Line
		}
		i := -1
		for _, f := range fields {
			if f.name == name {
				i = f.index
				break
			}
		}
		if i < 0 && path == "" && strings.HasPrefix(name, "x-") {
			continue // extension keys hold anchors for merge keys
		}
		if i < 0 {
			msg := "unknown key"
			s := suggest(name, fields)
			if s != "" {
				msg += " (did you mean " + s + "?)"
			} else if path == "" {
				msg += d.misplacedHint(name)
			}
			d.errAt(k, key, "%s", msg)
			switch {
			case s != "" && oneTypo(name, s):
				d.decodeAsMeant(n, k, val, v.Field(fieldIndex(fields, s)), join(path, s))
			case s != "":
				// Problems of the key meant follow from the typo.
				d.failed[join(path, s)] = true
			}
			continue
		}
		d.pos[key] = position{line: k.Line, col: k.Column}
		d.decode(val, v.Field(i), key, false)
	}
}

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

// decodeAsMeant decodes the value of a misspelt key k of the mapping n
// into the field of the key it most likely meant, at key path meant, so
// that the value's own mistakes (interval: 10s) and those of the rest of
// the file show in the same run as the typo, and a required key it stands
// for is not reported missing as well. When the mapping sets the meant
// key itself, or the value does not fit it (the guess was wrong), the
// problems of the meant key are left out instead, as following from the
// typo.
func (d *decoder) decodeAsMeant(n, k, val *yaml.Node, field reflect.Value, meant string) {
	name := meant[strings.LastIndexAny(meant, ".")+1:]
	for _, p := range d.pairs(n, 0) {
		if p[0].Value == name {
			d.failed[meant] = true
			return
		}
	}
	errs, failed := len(d.errs), maps.Clone(d.failed)
	d.pos[meant] = position{line: k.Line, col: k.Column}
	d.decode(val, field, meant, false)
	if len(d.errs) > errs {
		d.errs, d.failed = d.errs[:errs], failed
		d.failed[meant] = true
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

// fieldIndex returns the struct field index of key name, or -1.
func fieldIndex(fields []field, name string) int {
	for _, f := range fields {
		if f.name == name {
			return f.index
		}
	}
	return -1
}

// isEmpty reports whether v holds nothing: the zero value, or an empty
// list, also inside a struct.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Struct:
		for i := range v.NumField() {
			if !isEmpty(v.Field(i)) {
				return false
			}
		}
		return true
	default:
		return v.IsZero()
	}
}

// pairs returns the key/value pairs of a mapping with merge keys expanded;
// the third node is non-nil for pairs that came from a merge.
func (d *decoder) pairs(n *yaml.Node, depth int) [][3]*yaml.Node {
	var merged, own [][3]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" && depth < 8 {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				if s.Kind == yaml.AliasNode && s.Alias != nil {
					s = s.Alias
				}
				if s.Kind != yaml.MappingNode {
					d.errAt(k, "<<", "a merge key needs a mapping, got %s", kindName(s))
					continue
				}
				for _, p := range d.pairs(s, depth+1) {
					merged = append(merged, [3]*yaml.Node{p[0], p[1], k})
				}
			}
			continue
		}
		own = append(own, [3]*yaml.Node{k, v, nil})
	}
	return append(merged, own...)
}

// misplacedHint explains a top-level key that belongs in a list entry.
func (d *decoder) misplacedHint(name string) string {
	for _, f := range fieldsOf(reflect.TypeFor[Tenant]()) {
		if f.name == name {
			return " (it belongs in a tenants entry)"
		}
	}
	for _, f := range d.channelKeys() {
		if f.name == name {
			return " (it belongs in a channels entry)"
		}
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func keyOr(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// suggest returns the known key closest to name, if it is close enough to
// be a typo.
func suggest(name string, fields []field) string {
	best, bestDist := "", 0
	for _, f := range fields {
		dist := levenshtein(strings.ToLower(name), f.name)
		if best == "" || dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best == "" || bestDist > 2+len(name)/6 || bestDist >= len(name) {
		return ""
	}
	return best
}

// oneTypo reports whether name is key with one slip of a finger: a letter
// added, left out or replaced, two neighbours swapped, '-' for '_' or
// another case. Only then is a misspelt key's value taken as the meant
// key's (decodeAsMeant); a looser guess (colour → cloud) may be wrong.
func oneTypo(name, key string) bool {
	a := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if levenshtein(a, key) <= 1 {
		return true
	}
	if len(a) != len(key) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == key[i] {
		i++
	}
	return i+1 < len(a) && a[i] == key[i+1] && a[i+1] == key[i] && a[i+2:] == key[i+2:]
}

// levenshtein is the edit distance between a and b, treating '-' and '_'
// as equal so that client-secret suggests client_secret.
func levenshtein(a, b string) int {
	a = strings.ReplaceAll(a, "-", "_")
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// envOverlay lists the environment variables that replace top-level keys.
func envOverlay() []struct{ env, key string } {
	return []struct{ env, key string }{
		{"SHDMC_STORE", "store"},
		{"SHDMC_INTERVAL", "interval"},
		{"SHDMC_TIME_ZONE", "time_zone"},
		{"SHDMC_LOG_LEVEL", "log.level"},
	}
}

// overlay applies the SHDMC_* environment variables.
func (d *decoder) overlay(cfg *Config) {
	for _, o := range envOverlay() {
		val, ok := d.env(o.env)
		if !ok || val == "" {
			continue
		}
		d.pos[o.key] = position{env: o.env}
		switch o.key {
		case "store":
			cfg.Store = val
		case "interval":
			dur, err := parseDuration(val)
			if err != nil {
				d.errs = append(d.errs, Error{File: d.file, Key: o.key, Msg: fmt.Sprintf("from %s: %v", o.env, err)})
				d.failed[o.key] = true
				continue
			}
			cfg.Interval = Duration(dur)
		case "time_zone":
			cfg.TimeZone = val
		case "log.level":
			cfg.Log.Level = val
		}
	}
}

// overlayServe applies the dashboard's credentials from the environment
// when the config sets neither serve.token (or token_file) nor
// serve.username: SHDMC_SERVE_TOKEN, SHDMC_SERVE_USERNAME and
// SHDMC_SERVE_PASSWORD, where SHDMC_SERVE_TOKEN_FILE and
// SHDMC_SERVE_PASSWORD_FILE, when set, name a file holding the value
// (relative to the working directory, surrounding white space trimmed).
// It runs after resolve, so that the config's secret files are read.
func (d *decoder) overlayServe(sv *Serve) {
	if sv.Token != "" || sv.TokenFile != "" || sv.Username != "" {
		return // the config wins
	}
	token, tokenFrom, ok := d.envSecret("SHDMC_SERVE_TOKEN", "serve.token")
	if !ok {
		return
	}
	username, _ := d.env("SHDMC_SERVE_USERNAME")
	password, passwordFrom, ok := d.envSecret("SHDMC_SERVE_PASSWORD", "serve.password")
	if !ok {
		return
	}
	if (username == "") != (password == "") {
		d.errs = append(d.errs, Error{File: d.file, Key: "serve.password",
			Msg: "SHDMC_SERVE_USERNAME and SHDMC_SERVE_PASSWORD must be set together"})
		d.failed["serve.password"] = true
		return
	}
	if token != "" {
		sv.Token, d.pos["serve.token"] = token, position{env: tokenFrom}
	}
	if username != "" {
		sv.Username, d.pos["serve.username"] = username, position{env: "SHDMC_SERVE_USERNAME"}
		sv.Password, d.pos["serve.password"] = password, position{env: passwordFrom}
	}
}

// envSecret reads the secret of the environment variable name, or of the
// file that name_FILE names (which wins); from is the variable used. ok
// is false when the file cannot be read (the problem is recorded at key).
func (d *decoder) envSecret(name, key string) (s Secret, from string, ok bool) {
	if file, _ := d.env(name + "_FILE"); file != "" {
		b, err := readLimited(file, maxSecretFile)
		if err != nil {
			d.errs = append(d.errs, Error{File: d.file, Key: key, Msg: fmt.Sprintf("from %s_FILE: cannot read the secret: %v", name, err)})
			d.failed[key] = true
			return "", "", false
		}
		return Secret(strings.TrimSpace(string(b))), name + "_FILE", true
	}
	v, _ := d.env(name)
	return Secret(v), name, true
}

// resolve fills in values that follow from others: secrets read from
// files, the password taken out of the store URL, resolved paths, cloud
// aliases, the inferred auth kind, channel formats and source flags.
func (d *decoder) resolve(cfg *Config, dir string) {
	cfg.StorePassword = d.secretFromFile(cfg.StorePassword, cfg.StorePasswordFile, dir, "store_password", "store_password_file")
	cfg.StorePasswordFile = resolvePath(dir, cfg.StorePasswordFile)
	if u, err := url.Parse(cfg.Store); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			if cfg.StorePassword != "" {
				d.errAt(d.node("store"), "store", "the password is set both in the URL and in store_password; keep one")
			} else {
				cfg.StorePassword = Secret(pw)
			}
			u.User = url.User(u.User.Username())
			cfg.Store = u.String()
		}
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		p := fmt.Sprintf("tenants[%d]", i)
		t.ClientSecret = d.secretFromFile(t.ClientSecret, t.ClientSecretFile, dir, p+".client_secret", p+".client_secret_file")
		t.ClientSecretFile = resolvePath(dir, t.ClientSecretFile)
		t.CertificatePassword = d.secretFromFile(t.CertificatePassword, t.CertificatePasswordFile, dir, p+".certificate_password", p+".certificate_password_file")
		t.CertificatePasswordFile = resolvePath(dir, t.CertificatePasswordFile)
		t.CertificateFile = resolvePath(dir, t.CertificateFile)
		t.CAFile = resolvePath(dir, t.CAFile)
		if c, ok := canonicalCloud(t.Cloud); ok {
			t.Cloud = c
		}
		if t.Auth == "" {
			_, hasSecret := d.pos[p+".client_secret"]
			_, hasSecretFile := d.pos[p+".client_secret_file"]
			switch {
			case t.ClientSecret != "" || t.ClientSecretFile != "" || hasSecret || hasSecretFile:
				t.Auth = AuthClientSecret
			case t.CertificateFile != "":
				t.Auth = AuthCertificate
			}
		}
		for _, b := range []**bool{&t.Sources.Issues, &t.Sources.Messages, &t.Sources.Health} {
			if *b == nil {
				on := true
				*b = &on
			}
		}
	}
	sv := &cfg.Serve
	sv.Token = d.secretFromFile(sv.Token, sv.TokenFile, dir, "serve.token", "serve.token_file")
	sv.TokenFile = resolvePath(dir, sv.TokenFile)
	sv.Password = d.secretFromFile(sv.Password, sv.PasswordFile, dir, "serve.password", "serve.password_file")
	sv.PasswordFile = resolvePath(dir, sv.PasswordFile)
	tr := &cfg.Translator
	tr.Key = d.secretFromFile(tr.Key, tr.KeyFile, dir, "translator.key", "translator.key_file")
	tr.KeyFile = resolvePath(dir, tr.KeyFile)
	tr.GlossaryFile = resolvePath(dir, tr.GlossaryFile)
	for i := range cfg.Channels {
		if s := cfg.Channels[i].Settings; s != nil {
			if v := reflect.ValueOf(s); v.Kind() == reflect.Pointer && !v.IsNil() {
				d.secretFiles(v.Elem(), fmt.Sprintf("channels[%d]", i), dir)
			}
		}
	}
}

// secretFiles reads, for every Secret field K of the struct v (and of the
// structs in it), the file named by its string field K_file, and resolves
// that path; path is the key path of v.
func (d *decoder) secretFiles(v reflect.Value, path, dir string) {
	if v.Kind() != reflect.Struct {
		return
	}
	fields := fieldsOf(v.Type())
	for _, f := range fields {
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Struct {
			d.secretFiles(fv, join(path, f.name), dir)
			continue
		}
		if fv.Type() != secretType {
			continue
		}
		for _, g := range fields {
			fileField := v.Field(g.index)
			if g.name != f.name+"_file" || fileField.Kind() != reflect.String {
				continue
			}
			secret := d.secretFromFile(Secret(fv.String()), fileField.String(), dir, join(path, f.name), join(path, g.name))
			fv.SetString(string(secret))
			fileField.SetString(resolvePath(dir, fileField.String()))
		}
	}
}

// node returns a stand-in node carrying the position of a key, for errors
// raised after decoding.
func (d *decoder) node(key string) *yaml.Node {
	p, ok := d.pos[key]
	if !ok || p.line == 0 {
		return nil
	}
	return &yaml.Node{Line: p.line, Column: p.col}
}

// maxSecretFile bounds what is read from a secret file; secrets are short.
const maxSecretFile = 64 << 10

// secretFromFile returns the secret from the file named by the key
// fileKey, or value when no file is set. Setting both is an error. Errors
// name the file, never its content.
func (d *decoder) secretFromFile(value Secret, file, dir, valueKey, fileKey string) Secret {
	if file == "" {
		return value
	}
	if _, both := d.pos[valueKey]; both {
		d.errAt(d.node(fileKey), fileKey, "set either %s or %s, not both", lastKey(valueKey), lastKey(fileKey))
		return value
	}
	path := resolvePath(dir, file)
	b, err := readLimited(path, maxSecretFile)
	if err != nil {
		d.errAt(d.node(fileKey), fileKey, "cannot read the secret: %v", err)
		d.failed[valueKey] = true
		return ""
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		d.errAt(d.node(fileKey), fileKey, "file %s is empty", path)
		d.failed[valueKey] = true
	}
	return Secret(s)
}

func lastKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// readLimited reads at most limit bytes of a file and fails if it is
// larger, so that a mistaken path such as /dev/zero cannot hang Load.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return buf.Bytes(), nil
}

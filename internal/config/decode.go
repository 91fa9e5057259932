package config

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
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
	cfg.inheritReminders()
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

// node returns a stand-in node carrying the position of a key, for errors
// raised after decoding.
func (d *decoder) node(key string) *yaml.Node {
	p, ok := d.pos[key]
	if !ok || p.line == 0 {
		return nil
	}
	return &yaml.Node{Line: p.line, Column: p.col}
}

package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration, located by file, line and key
// path (for example "tenants[0].client_secret"). Line and Column are 0 when
// the problem has no place in the file: a value from the environment overlay,
// or a Config built in code.
type Error struct {
	File   string
	Line   int
	Column int
	Key    string
	Msg    string
	// Warning marks a problem that does not stop shdmc on its own, such as
	// a route no event can match. Config.Warnings lists those of a valid
	// configuration; Parse puts them among the errors of an invalid one,
	// so that one run shows everything.
	Warning bool
}

// Error formats the problem as "file:line: key: msg", leaving out the parts
// that are unknown.
func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one configuration, ordered by line. Load,
// Parse and Validate return an Errors value (never an empty one) so that a
// user can fix all mistakes in one go; errors.As works with both an Errors
// and a *Errors target.
type Errors []Error

// Error lists the problems one per line, warnings marked "warning: ".
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
		if e.Warning {
			lines[i] = "warning: " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// As lets errors.As fill a *Errors target as well as an Errors one.
func (es Errors) As(target any) bool {
	if p, ok := target.(**Errors); ok {
		c := slices.Clone(es)
		*p = &c
		return true
	}
	return false
}

// sorted returns es ordered by line and column, keeping the order of
// problems on the same line (and of those without a line, which come first).
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return es
}

// orNil returns nil for no problems, so callers can return it as an error.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}

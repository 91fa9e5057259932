// Package file holds the two channels that write notices locally: stdout,
// which prints each notice to the terminal (as text, Markdown, or one JSON
// object per line), and file, which appends one JSON object per notice (a
// Record: the event and its rendered subject and text) to a file, JSON
// Lines that several processes may append to at once.
package file

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
)

// The formats of stdout and file channels.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
)

var (
	_ config.ChannelSettings = (*StdoutSettings)(nil)
	_ config.ChannelSettings = (*Settings)(nil)
)

// StdoutSettings are the keys of a stdout channel entry.
type StdoutSettings struct {
	// Format is text (default), markdown, or json (one Record per line).
	Format string `yaml:"format"`
}

// Validate checks the format.
func (s *StdoutSettings) Validate() error { return checkFormat(s.Format).Err() }

// Settings are the keys of a file channel entry.
type Settings struct {
	// Path is the file the records are appended to, relative to the
	// working directory.
	Path string `yaml:"path"`
	// Format is json (default), text or markdown: the format of each
	// record's rendered text (text for json).
	Format string `yaml:"format"`
}

// Validate checks the format and that a path is set.
func (s *Settings) Validate() error {
	errs := checkFormat(s.Format)
	if s.Path == "" {
		errs = append(errs, config.FieldError{Key: "path", Msg: "a file channel needs path"})
	}
	return errs.Err()
}

// checkFormat reports a format that is not one of text, markdown or json.
func checkFormat(f string) config.FieldErrors {
	formats := []string{FormatText, FormatMarkdown, FormatJSON}
	if f != "" && !slices.Contains(formats, f) {
		msg := fmt.Sprintf("unknown format %q (want %s)", f, strings.Join(formats, " or "))
		if s := config.Suggest(f, formats); s != "" {
			msg = config.UnknownValue("format", f, formats...)
		}
		return config.FieldErrors{{Key: "format", Msg: msg}}
	}
	return nil
}

// renderOptions returns the channel's render options in format f.
func renderOptions(o render.Options, f string) render.Options {
	o.Format = render.FormatText
	if f == FormatMarkdown {
		o.Format = render.FormatMarkdown
	}
	return o
}

// StdoutType is the stdout channel type, for the channel registry.
func StdoutType() notify.ChannelType {
	return notify.ChannelType{
		Name:        "stdout",
		NewSettings: func() config.ChannelSettings { return &StdoutSettings{Format: FormatText} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*StdoutSettings](ch)
			if err != nil {
				return nil, err
			}
			if s.Format == FormatJSON {
				return NewJSONWriter(env.Stdout, renderOptions(env.Render, s.Format)), nil
			}
			return NewWriter(env.Stdout, renderOptions(env.Render, s.Format)), nil
		},
	}
}

// Type is the file channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name:        "file",
		NewSettings: func() config.ChannelSettings { return &Settings{Format: FormatJSON} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(s.Path, renderOptions(env.Render, s.Format)), nil
		},
	}
}

// Writer prints each notice to an io.Writer (the terminal): the subject
// line, the body and a separator.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	opts render.Options
	json bool
}

var _ notify.Notifier = (*Writer)(nil)

// NewWriter returns a notifier printing to w in the given render options.
func NewWriter(w io.Writer, opts render.Options) *Writer { return &Writer{w: w, opts: opts} }

// NewJSONWriter returns a notifier printing one JSON object per notice
// (a Record) to w.
func NewJSONWriter(w io.Writer, opts render.Options) *Writer {
	return &Writer{w: w, opts: opts, json: true}
}

// Notify implements notify.Notifier.
func (s *Writer) Notify(_ context.Context, n *notify.Notice) (notify.Receipt, error) {
	o := s.options(n)
	if s.json {
		line, err := record(n.Event, o)
		if err != nil {
			return notify.Receipt{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, err := s.w.Write(line); err != nil {
			return notify.Receipt{}, fmt.Errorf("write notice: %w", err)
		}
		return notify.Receipt{Status: "written"}, nil
	}
	subject, body := render.Notice(n.Event, o)
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := "────────────────────────────────────────────────────────────────────────"
	if _, err := fmt.Fprintf(s.w, "%s\n%s\n\n%s\n\n", rule, subject, body); err != nil {
		return notify.Receipt{}, fmt.Errorf("write notice: %w", err)
	}
	return notify.Receipt{Status: "written"}, nil
}

// options merges the channel's own render options under the notice's:
// the route's time zone wins over the channel's, the channel's format
// over the route's.
func (s *Writer) options(n *notify.Notice) render.Options { return merge(s.opts, n.Render) }

// merge returns the channel options ch (its format) with the route's time
// zone, language, translations and length applied.
func merge(ch, route render.Options) render.Options {
	o := ch
	if route.Location != nil {
		o.Location = route.Location
	}
	if route.Now.After(o.Now) {
		o.Now = route.Now
	}
	if route.MaxPostChars > 0 {
		o.MaxPostChars = route.MaxPostChars
	}
	o.Language, o.Mode, o.Prose, o.NoteKey, o.AlsoIn = route.Language, route.Mode, route.Prose, route.NoteKey, route.AlsoIn
	o.TenantName, o.Template = route.TenantName, route.Template
	if route.LinkURL != "" {
		o.LinkURL = route.LinkURL
	}
	return o
}

// File appends one JSON object per notice to a file (JSON Lines): the event
// and its rendered subject and text.
type File struct {
	mu   sync.Mutex
	path string
	opts render.Options
}

var _ notify.Notifier = (*File)(nil)

// New returns a notifier appending JSON Lines to path.
func New(path string, opts render.Options) *File { return &File{path: path, opts: opts} }

// Record is one line of a file channel, and of a stdout channel in the
// json format.
type Record struct {
	Event   *model.Event `json:"event"`
	Subject string       `json:"subject"`
	Text    string       `json:"text"`
	// Notice is the localized document the subject and text are written
	// from (render.Doc).
	Notice *render.Doc `json:"notice,omitempty"`
	Sent   time.Time   `json:"sent"`
}

// Notify implements notify.Notifier. Each record is written with one write call
// on a file opened for appending, so concurrent writers never interleave.
func (f *File) Notify(_ context.Context, n *notify.Notice) (notify.Receipt, error) {
	line, err := record(n.Event, merge(f.opts, n.Render))
	if err != nil {
		return notify.Receipt{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return notify.Receipt{}, fmt.Errorf("open %s: %w", f.path, err)
	}
	if _, err := fh.Write(line); err != nil {
		fh.Close()
		return notify.Receipt{}, fmt.Errorf("append to %s: %w", f.path, err)
	}
	if err := fh.Close(); err != nil {
		return notify.Receipt{}, fmt.Errorf("close %s: %w", f.path, err)
	}
	return notify.Receipt{Status: "appended", Detail: f.path}, nil
}

// record renders ev as one JSON Lines record.
func record(ev *model.Event, opts render.Options) ([]byte, error) {
	d := render.Compose(ev, opts)
	body := render.Text(d)
	if opts.Format == render.FormatMarkdown {
		body = render.Markdown(d)
	}
	line, err := json.Marshal(Record{Event: ev, Subject: d.Subject, Text: body, Notice: &d, Sent: time.Now().UTC()})
	if err != nil {
		return nil, notify.Permanent(fmt.Errorf("encode notice: %w", err))
	}
	return append(line, '\n'), nil
}

package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
)

// Writer prints each notice to an io.Writer (the terminal): the subject
// line, the body and a separator.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	opts render.Options
	json bool
}

var _ Notifier = (*Writer)(nil)

// NewWriter returns a Notifier printing to w in the given render options.
func NewWriter(w io.Writer, opts render.Options) *Writer { return &Writer{w: w, opts: opts} }

// NewJSONWriter returns a Notifier printing one JSON object per notice
// (a FileRecord) to w.
func NewJSONWriter(w io.Writer, opts render.Options) *Writer {
	return &Writer{w: w, opts: opts, json: true}
}

// Notify implements Notifier.
func (s *Writer) Notify(_ context.Context, n *Notice) (Receipt, error) {
	o := s.options(n)
	if s.json {
		line, err := record(n.Event, o)
		if err != nil {
			return Receipt{}, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, err := s.w.Write(line); err != nil {
			return Receipt{}, fmt.Errorf("write notice: %w", err)
		}
		return Receipt{Status: "written"}, nil
	}
	subject, body := render.Notice(n.Event, o)
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := "────────────────────────────────────────────────────────────────────────"
	if _, err := fmt.Fprintf(s.w, "%s\n%s\n\n%s\n\n", rule, subject, body); err != nil {
		return Receipt{}, fmt.Errorf("write notice: %w", err)
	}
	return Receipt{Status: "written"}, nil
}

// options merges the channel's own render options under the notice's:
// the route's time zone wins over the channel's, the channel's format
// over the route's.
func (s *Writer) options(n *Notice) render.Options { return merge(s.opts, n.Render) }

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
	if route.LinkURL != "" {
		o.LinkURL = route.LinkURL
	}
	return o
}

// File appends one JSON object per notice to a file (JSON Lines): the event
// and its rendered subject and text. A new file is created with mode 0600
// (notices name tenants and their incidents); an existing one keeps its
// mode.
type File struct {
	mu   sync.Mutex
	path string
	opts render.Options
}

var _ Notifier = (*File)(nil)

// NewFile returns a Notifier appending JSON Lines to path.
func NewFile(path string, opts render.Options) *File { return &File{path: path, opts: opts} }

// FileRecord is one line of a File channel.
type FileRecord struct {
	Event   *model.Event `json:"event"`
	Subject string       `json:"subject"`
	Text    string       `json:"text"`
	Sent    time.Time    `json:"sent"`
}

// Notify implements Notifier. Each record is written with one write call
// on a file opened for appending, so concurrent writers never interleave.
func (f *File) Notify(_ context.Context, n *Notice) (Receipt, error) {
	line, err := record(n.Event, merge(f.opts, n.Render))
	if err != nil {
		return Receipt{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return Receipt{}, fmt.Errorf("open %s: %w", f.path, err)
	}
	if _, err := fh.Write(line); err != nil {
		fh.Close()
		return Receipt{}, fmt.Errorf("append to %s: %w", f.path, err)
	}
	if err := fh.Close(); err != nil {
		return Receipt{}, fmt.Errorf("close %s: %w", f.path, err)
	}
	return Receipt{Status: "appended", Detail: f.path}, nil
}

// record renders ev as one JSON Lines record.
func record(ev *model.Event, opts render.Options) ([]byte, error) {
	subject, body := render.Notice(ev, opts)
	line, err := json.Marshal(FileRecord{Event: ev, Subject: subject, Text: body, Sent: time.Now().UTC()})
	if err != nil {
		return nil, Permanent(fmt.Errorf("encode notice: %w", err))
	}
	return append(line, '\n'), nil
}

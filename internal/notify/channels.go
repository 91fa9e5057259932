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
func (s *Writer) Notify(_ context.Context, ev *model.Event) error {
	if s.json {
		line, err := record(ev, s.opts)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, err := s.w.Write(line); err != nil {
			return fmt.Errorf("write notice: %w", err)
		}
		return nil
	}
	subject, body := render.Notice(ev, s.opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := "────────────────────────────────────────────────────────────────────────"
	if _, err := fmt.Fprintf(s.w, "%s\n%s\n\n%s\n\n", rule, subject, body); err != nil {
		return fmt.Errorf("write notice: %w", err)
	}
	return nil
}

// File appends one JSON object per notice to a file (JSON Lines): the event
// and its rendered subject and text.
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
func (f *File) Notify(_ context.Context, ev *model.Event) error {
	line, err := record(ev, f.opts)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", f.path, err)
	}
	if _, err := fh.Write(line); err != nil {
		fh.Close()
		return fmt.Errorf("append to %s: %w", f.path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.path, err)
	}
	return nil
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

package store

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEncodeNano(t *testing.T) {
	at := time.Date(2026, 1, 27, 8, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		in   time.Time
		want int64
		back time.Time
	}{
		{"zero", time.Time{}, 0, time.Time{}},
		{"nanoseconds", at, at.UnixNano(), at},
		{"other zone", at.In(time.FixedZone("JST", 9*3600)), at.UnixNano(), at},
		{"before 1678", time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), math.MinInt64, time.Unix(0, math.MinInt64).UTC()},
		{"after 2262", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), math.MaxInt64, time.Unix(0, math.MaxInt64).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeNano(tt.in)
			if got != tt.want {
				t.Errorf("encodeNano(%v) = %d, want %d", tt.in, got, tt.want)
			}
			if back := decodeNano(got); !back.Equal(tt.back) || back.Location() != time.UTC {
				t.Errorf("decodeNano(%d) = %v, want %v in UTC", got, back, tt.back)
			}
		})
	}
	if !(encodeNano(at) < encodeNano(at.Add(1))) || !(encodeNano(time.Time{}) < encodeNano(at)) {
		t.Error("integer times do not sort as the times")
	}
}

func TestHashArg(t *testing.T) {
	sha := strings.Repeat("0f", 32)
	tests := []struct {
		in      string
		wantLen int
	}{
		{sha, 32},
		{"", 0},
		{"h", 1},
		{strings.Repeat("x", 32), 33},            // would read as a SHA-256
		{strings.Repeat("0F", 32), 64},           // not lower-case: kept as text
		{strings.Repeat("g", 64), 64},            // not hex
		{"d41d8cd98f00b204e9800998ecf8427e", 33}, // an MD5 in hex
	}
	for _, tt := range tests {
		b := hashArg(tt.in)
		if len(b) != tt.wantLen {
			t.Errorf("hashArg(%q) is %d bytes, want %d", tt.in, len(b), tt.wantLen)
		}
		var h storedHash
		if err := h.Scan(b); err != nil || h.s != tt.in {
			t.Errorf("storedHash of hashArg(%q) = %q, %v", tt.in, h.s, err)
		}
		if err := h.Scan(tt.in); err != nil || h.s != tt.in {
			t.Errorf("storedHash of the text %q = %q, %v", tt.in, h.s, err)
		}
	}
	for _, d := range []dialect{sqliteDialect(), postgresDialect()} {
		b, ok := keyArg(d, sha, false).([]byte)
		var h storedHash
		if !ok || len(b) != 32 || h.Scan(b) != nil || h.s != sha {
			t.Errorf("%s: keyArg(%q) = %v", d.name, sha, keyArg(d, sha, false))
		}
		if got := keyArg(d, sha, true); got != sha {
			t.Errorf("%s: keyArg with hex keys = %v", d.name, got)
		}
	}
}

func TestPackBlob(t *testing.T) {
	s := &sqlStore{}
	body := `{"id":"MC1","title":"Teams town halls","body":"` + strings.Repeat("<p>Town halls get captions. 会議の録画。</p>", 40) + `"}`
	tests := []struct {
		name       string
		doc        string
		compressed bool
	}{
		{"long", body, true},
		{"short", `{"id":"MC1"}`, false},
		{"empty", ``, false},
		{"incompressible", `"` + hex.EncodeToString([]byte(strings.Repeat("\x07\x3f\xa1", 10))) + `"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			packed, err := s.packBlob([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(packed) > 0 && packed[0] == blobDeflate; got != tt.compressed {
				t.Errorf("compressed = %v, want %v (%d of %d bytes)", got, tt.compressed, len(packed), len(tt.doc))
			}
			if tt.compressed && len(packed) > len(tt.doc)/3 {
				t.Errorf("compressed to %d of %d bytes", len(packed), len(tt.doc))
			}
			back, err := unpackBlob(packed)
			if err != nil || string(back) != tt.doc {
				t.Errorf("unpackBlob = %q, %v; want the document", back, err)
			}
			if n := blobSize(packed, int64(len(packed))); n != int64(len(tt.doc)) {
				t.Errorf("blobSize = %d, want %d", n, len(tt.doc))
			}
		})
	}
	if _, err := unpackBlob([]byte{blobDeflate, 0, 0}); err == nil {
		t.Error("a truncated blob unpacks without error")
	}
	// A header that disagrees with the stream is an error, whichever way;
	// the reader reused after it still unpacks a good blob.
	packed, err := s.packBlob([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, delta := range []int{-1, 1, 1 << 30} {
		bad := slices.Clone(packed)
		binary.BigEndian.PutUint32(bad[1:5], uint32(len(body)+delta))
		if _, err := unpackBlob(bad); err == nil {
			t.Errorf("a header %+d bytes off unpacks without error", delta)
		}
		if back, err := unpackBlob(packed); err != nil || string(back) != body {
			t.Errorf("after a bad blob, unpackBlob = %d bytes, %v", len(back), err)
		}
	}
	if _, err := unpackBlob(packed[:len(packed)-4]); err == nil {
		t.Error("a blob cut short unpacks without error")
	}
}

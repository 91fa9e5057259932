package sdkcompare

import (
	"testing"

	"github.com/shdmc/shdmc/internal/graph"
)

// Every benchmark works on the same generated tenant: 1,000 issues with 5
// posts each and 1,000 Message Center posts (Generate(nIssues, nMessages,
// seed)). SetBytes is the size of the JSON decoded per operation.

// BenchmarkShdmcDecodeDiff is one poll of one tenant as shdmc does it:
// decode both pages, hash every item and run detect on those whose hash
// differs from the stored one (5% changed, 5% only touched).
func BenchmarkShdmcDecodeDiff(b *testing.B) {
	d := Generate(nIssues, nMessages, seed)
	p := newShdmcPrev(b, d)
	b.SetBytes(int64(len(d.Issues) + len(d.Messages)))
	b.ReportAllocs()
	for b.Loop() {
		ie, me, err := shdmcDecodeDiff(p, d.Issues, d.Messages)
		if err != nil || len(ie) != len(d.ChangedIssues) || len(me) != len(d.ChangedMessages) {
			b.Fatalf("got %d+%d events, %v", len(ie), len(me), err)
		}
	}
}

// BenchmarkSDKDecodeDiff decodes both pages with msgraph-sdk-go and compares
// a few fields per item with the previous poll. The SDK has no change
// detection; this comparison is minimal (no hash, no field-level changes)
// and so favours the SDK.
func BenchmarkSDKDecodeDiff(b *testing.B) {
	d := Generate(nIssues, nMessages, seed)
	p := newSDKPrev(b, d)
	b.SetBytes(int64(len(d.Issues) + len(d.Messages)))
	b.ReportAllocs()
	for b.Loop() {
		is, ms, err := sdkDecodeDiff(p, d.Issues, d.Messages)
		if err != nil || len(is) == 0 || len(ms) == 0 {
			b.Fatalf("got %d+%d diffs, %v", len(is), len(ms), err)
		}
	}
}

// BenchmarkShdmcDecode is shdmc's decoding alone: issues, messages, both.
func BenchmarkShdmcDecode(b *testing.B) {
	d := Generate(nIssues, nMessages, seed)
	b.Run("issues", func(b *testing.B) {
		b.SetBytes(int64(len(d.Issues)))
		b.ReportAllocs()
		for b.Loop() {
			if is, _, err := graph.DecodeIssues(d.Issues); err != nil || len(is) != nIssues {
				b.Fatal(len(is), err)
			}
		}
	})
	b.Run("messages", func(b *testing.B) {
		b.SetBytes(int64(len(d.Messages)))
		b.ReportAllocs()
		for b.Loop() {
			if ms, _, err := graph.DecodeMessages(d.Messages); err != nil || len(ms) != nMessages {
				b.Fatal(len(ms), err)
			}
		}
	})
	b.Run("both", func(b *testing.B) {
		b.SetBytes(int64(len(d.Issues) + len(d.Messages)))
		b.ReportAllocs()
		for b.Loop() {
			is, _, err := graph.DecodeIssues(d.Issues)
			if err != nil || len(is) != nIssues {
				b.Fatal(len(is), err)
			}
			ms, _, err := graph.DecodeMessages(d.Messages)
			if err != nil || len(ms) != nMessages {
				b.Fatal(len(ms), err)
			}
		}
	})
}

// BenchmarkSDKDecode is msgraph-sdk-go's decoding alone (JSON parse node +
// GetObjectValue with the collection response factory, as its request
// adapter does): issues, messages, both.
func BenchmarkSDKDecode(b *testing.B) {
	d := Generate(nIssues, nMessages, seed)
	b.Run("issues", func(b *testing.B) {
		b.SetBytes(int64(len(d.Issues)))
		b.ReportAllocs()
		for b.Loop() {
			if is, err := sdkIssues(d.Issues); err != nil || len(is) != nIssues {
				b.Fatal(len(is), err)
			}
		}
	})
	b.Run("messages", func(b *testing.B) {
		b.SetBytes(int64(len(d.Messages)))
		b.ReportAllocs()
		for b.Loop() {
			if ms, err := sdkMessages(d.Messages); err != nil || len(ms) != nMessages {
				b.Fatal(len(ms), err)
			}
		}
	})
	b.Run("both", func(b *testing.B) {
		b.SetBytes(int64(len(d.Issues) + len(d.Messages)))
		b.ReportAllocs()
		for b.Loop() {
			is, err := sdkIssues(d.Issues)
			if err != nil || len(is) != nIssues {
				b.Fatal(len(is), err)
			}
			ms, err := sdkMessages(d.Messages)
			if err != nil || len(ms) != nMessages {
				b.Fatal(len(ms), err)
			}
		}
	})
}

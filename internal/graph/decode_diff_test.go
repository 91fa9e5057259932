package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shdmc/shdmc/internal/model"
)

// decodePair is one page decoder and its encoding/json reference.
type decodePair struct {
	name string
	got  func([]byte) (any, string, error)
	want func([]byte) (any, string, error)
}

func wrap[T any](f func([]byte) ([]T, string, error)) func([]byte) (any, string, error) {
	return func(b []byte) (any, string, error) {
		items, next, err := f(b)
		if err != nil && items != nil {
			return nil, "", errors.New("items alongside error")
		}
		if err == nil && items == nil {
			return nil, "", errors.New("nil items without error")
		}
		return items, next, err
	}
}

var decodePairs = []decodePair{
	{"issues", wrap(DecodeIssues), wrap(refDecodeIssues)},
	{"messages", wrap(DecodeMessages), wrap(refDecodeMessages)},
	{"health", wrap(DecodeHealthOverviews), wrap(refDecodeHealthOverviews)},
	{"attachments", wrap(DecodeAttachments), wrap(refDecodeAttachments)},
}

// checkAgainstReference decodes data with every decoder and its reference
// and reports any disagreement. Where the reference failed a whole page for
// one odd value (a non-object item, an attachment size string that is not
// a number) the new decoder is allowed to succeed; inputs with duplicate
// member names are only checked for validity, since encoding/json merges
// duplicates into slice elements in ways not worth copying.
func checkAgainstReference(t *testing.T, data []byte) {
	t.Helper()
	valid := json.Valid(data)
	dups := valid && hasDuplicateKeys(data)
	for _, p := range decodePairs {
		got, gotNext, gotErr := p.got(data)
		if gotErr != nil && strings.Contains(gotErr.Error(), "alongside") || gotErr != nil && strings.Contains(gotErr.Error(), "without error") {
			t.Fatalf("%s: %v", p.name, gotErr)
		}
		if !valid {
			if gotErr == nil {
				t.Fatalf("%s: invalid JSON %q accepted", p.name, data)
			}
			continue
		}
		if dups {
			continue
		}
		want, wantNext, wantErr := p.want(data)
		switch {
		case wantErr != nil && gotErr == nil:
			if msg := wantErr.Error(); strings.Contains(msg, "invalid number literal") || strings.Contains(msg, `"value" is a JSON`) {
				continue // a lenient improvement on the reference
			}
			t.Fatalf("%s: reference failed (%v) but decoder succeeded on %q", p.name, wantErr, data)
		case wantErr == nil && gotErr != nil:
			t.Fatalf("%s: decoder failed (%v) but reference succeeded on %q", p.name, gotErr, data)
		case wantErr != nil:
			continue
		}
		if gotNext != wantNext {
			t.Fatalf("%s: nextLink %q, reference %q", p.name, gotNext, wantNext)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s: mismatch on %q (-reference +decoder):\n%s", p.name, data, diff)
		}
		if !sameLocations(got) {
			t.Fatalf("%s: a time is not in UTC", p.name)
		}
	}
}

// sameLocations reports whether every non-zero time in items is UTC.
func sameLocations(items any) bool {
	ok := func(ts ...time.Time) bool {
		for _, t := range ts {
			if !t.IsZero() && t.Location() != time.UTC {
				return false
			}
		}
		return true
	}
	switch v := items.(type) {
	case []model.Issue:
		for _, is := range v {
			if !ok(is.Start, is.End, is.LastModified) {
				return false
			}
			for _, p := range is.Posts {
				if !ok(p.Created) {
					return false
				}
			}
		}
	case []model.Message:
		for _, m := range v {
			if !ok(m.Start, m.End, m.LastModified, m.ActionRequiredBy) {
				return false
			}
		}
	}
	return true
}

// hasDuplicateKeys reports whether some object in the valid JSON data has
// two member names that encoding/json would match to the same field.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		atKey  bool
	}
	var stack []*frame
	for range 1 << 20 {
		tok, err := dec.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.atKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := string(foldKey(nil, []byte(tok.(string))))
			if top.keys[k] {
				return true
			}
			top.keys[k] = true
			top.atKey = false
			continue
		}
		if top != nil && top.object {
			top.atKey = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, atKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
	return true
}

// corpus returns the testdata bodies, the checked-in fuzz corpus and the
// hand-written edge cases below.
func corpus(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		out = append(out, readTestdata(t, filepath.Base(name)))
	}
	fuzzFiles, err := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fuzzFiles {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz corpus file", name)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, []byte(s))
	}
	for _, s := range edgeCases {
		out = append(out, []byte(s))
	}
	out = append(out, bigPage(50, issueJSON), bigPage(50, messageJSON))
	return out
}

var edgeCases = []string{
	``, ` `, `null`, `{}`, `[]`, `"x"`, `12`, `true`, `{"value":[]}`, `{"value":null}`, `{"value":{}}`,
	`{"value":"x"}`, `{"value":1}`, `{"value":true}`, `{"value":[]} x`, `{"value":[]}  ` + "\n",
	`{"value":[],}`, `{"value":[,]}`, `{"value":[1,]}`, `{"value" []}`, `{value:[]}`, `{"value":[]`,
	`{"value":[{"id":"A"}]}`, `{"VALUE":[{"ID":"A","Title":"t"}]}`,
	`{"value":[{"id":"A","title":5,"status":[],"posts":{},"details":"x","isResolved":{"a":1}}]}`,
	`{"value":[{"id":"A","posts":[null,1,"x",[],{}]}]}`,
	`{"value":[{"id":"A","posts":[{"description":null,"postType":"QUICK","createdDateTime":"2023-05-14T13:55:21+02:00"}]}]}`,
	`{"value":[{"id":"A","posts":[{"description":{"contentType":" HTML ","content":"null"}}]}]}`,
	`{"value":[{"id":"A","isResolved":"TRUE"},{"id":"B","isResolved":1},{"id":"C","isResolved":"1"},{"id":"D","isResolved":1.0},{"id":"E","isResolved":"tru\u0065"},{"id":"F","isResolved":null},{"id":"G","isResolved":true}]}`,
	`{"value":[{"id":"null"},{"id":""},{"id":"B","title":"null","service":null}]}`,
	`{"value":[{"id":"\u0041\u00e9\ud83d\ude00\ud800x\udc00\ud83dA\\\/\b\f\n\r\t\""}]}`,
	`{"value":[{"id":"A","title":"\ud83d\u0041"}]}`,
	"{\"value\":[{\"id\":\"A\xff\xfeB\",\"title\":\"\xed\xa0\x80\",\"service\":\"caf\xc3\xa9\"}]}",
	"{\"value\":[{\"id\":\"A\x01\"}]}", `{"value":[{"id":"A\x"}]}`, `{"value":[{"id":"A\u12"}]}`, `{"value":[{"id":"A\u12G4"}]}`,
	`{"value":[{"i\u0064":"A","\u0074itle":"t"}]}`,
	"{\"value\":[{\"id\":\"A\",\"ſtatus\":\"investigating\",\"\xe2\x84\xaaey\":1}]}", // long s, Kelvin sign
	`{"value":[{"id":"A","status":"Service restored","classification":"INCIDENT","origin":" customer ","feature":"x"}]}`,
	`{"value":[{"id":"A","startDateTime":"2023-02-29T00:00:00Z","endDateTime":"2024-02-29T23:59:59.123456789Z","lastModifiedDateTime":"2023-05-14T12:00:00.1234567890Z"}]}`,
	`{"value":[{"id":"A","startDateTime":"2023-05-14T24:00:00Z","endDateTime":"2023-05-14 12:00:00","lastModifiedDateTime":"2023-05-14T12:00"}]}`,
	`{"value":[{"id":"A","startDateTime":"2023-05-14T12:00:00.Z","endDateTime":"2023-05-14T12:00:60Z","lastModifiedDateTime":" 2023-05-14 "}]}`,
	`{"value":[{"id":"A","startDateTime":"0000-01-01T00:00:00Z","endDateTime":"9999-12-31T23:59:59.9999999","lastModifiedDateTime":"2023-05-14T12:00:00z"}]}`,
	`{"value":[{"id":"A","startDateTime":5,"endDateTime":null,"lastModifiedDateTime":"2023-05-14T12:00:00-00:30"}]}`,
	`{"value":[{"id":"MC1","services":["a",null,"",1,"null","b"],"tags":null,"body":{"contentType":"Text","content":"x"},"hasAttachments":"false","attachments":[{"id":"X","size":"4096"},{"id":"Y","size":1e3},{"id":"Z","size":-5},{"id":"W","size":99999999999999999999},{"name":"no id"},3]}]}`,
	`{"value":[{"id":"MC1","attachments":[{"id":"X","size":0.5},{"id":"Y","size":12.9},{"id":"Z","size":"1E2"},{"id":"V","size":true},{"id":"U","size":null},{"id":"T","size":"-0"}]}]}`,
	`{"value":[{"id":"MC1","attachments":[{"id":"X","size":" 12"}]}]}`,
	`{"value":[{"id":"MC1","attachments":[{}]}]}`, `{"value":[{"id":"MC1","attachments":[]}]}`,
	`{"value":[{"id":"MC1","category":"Unknown Thing","severity":"HIGH","isMajorChange":"True","actionRequiredByDateTime":"2024-08-15"}]}`,
	`{"value":[{"id":"A","details":[{"name":"n","value":"v"},{"name":"","value":"x"},{"value":"y"},null,{"name":"null"},{"name":"m","value":7}]}]}`,
	`{"value":[{"id":"A"}],"@odata.nextLink":"next","@odata.context":{"a":[1,2,{"b":null}]}}`,
	`{"value":[{"id":"A"}],"@odata.nextlink":5}`, `{"@odata.nextLink":"n","value":[]}`,
	`{"value":[{"id":"A","x":-0.5e+10,"y":[-1,0,1E5,2.5e-3],"z":{"q":[[],[[]],{}]}}]}`,
	`{"value":[{"id":"A","x":01}]}`, `{"value":[{"id":"A","x":-}]}`, `{"value":[{"id":"A","x":1.}]}`, `{"value":[{"id":"A","x":1e}]}`,
	`{"value":[{"id":"A","x":tru}]}`, `{"value":[{"id":"A","x":nul}]}`, `{"value":[{"id":"A","x":falsey}]}`, `{"value":[{"id":"A","x":.5}]}`,
	"{\"value\":[{\"id\":\"A\"}]}\x00", "\ufeff{\"value\":[]}", "\t\r\n {\"value\"\t:\n[\r]\n}\n",
	`{"value":[{"id":"A","title":"a"},{"id":"A2","title":"b"}],"extra":[` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `]}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"value":[` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `]}`,
	`{"value":[` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `]}`,
}

// TestDecodeMatchesReference checks the decoders against the encoding/json
// reference on the test bodies, the fuzz corpus and the edge cases above.
func TestDecodeMatchesReference(t *testing.T) {
	for i, data := range corpus(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkAgainstReference(t, data) })
	}
}

// TestDecodeLenientWhereReferenceFailed pins the cases where the decoder
// keeps a page that the encoding/json implementation failed.
func TestDecodeLenientWhereReferenceFailed(t *testing.T) {
	items, _, err := DecodeIssues([]byte(`{"value":[null,1,"x",[],{"id":"A"}]}`))
	if err != nil || len(items) != 1 || items[0].ID != "A" {
		t.Errorf("non-object items: %v %v", items, err)
	}
	msgs, _, err := DecodeMessages([]byte(`{"value":[{"id":"MC1","attachments":[{"id":"X","size":"big"},{"id":"Y","size":"12"}]}]}`))
	if err != nil || len(msgs) != 1 || len(msgs[0].Attachments) != 2 || msgs[0].Attachments[0].Size != 0 || msgs[0].Attachments[1].Size != 12 || !msgs[0].HasAttachments {
		t.Errorf("odd attachment size: %+v %v", msgs, err)
	}
}

// TestEnumFastPaths checks that the allocation-free enum lookups agree with
// model.Parse* after str, for every documented spelling and some others.
func TestEnumFastPaths(t *testing.T) {
	inputs := []string{"", "null", "NULL", " x ", "Service restored", "INCIDENT", "thirdparty", "High", "Regular",
		"unknownFutureValue", "somethingNew"}
	for _, s := range []model.Status{model.StatusServiceOperational, model.StatusInvestigating, model.StatusRestoringService,
		model.StatusVerifyingService, model.StatusServiceRestored, model.StatusPostIncidentReviewPublished,
		model.StatusServiceDegradation, model.StatusServiceInterruption, model.StatusExtendedRecovery,
		model.StatusFalsePositive, model.StatusInvestigationSuspended, model.StatusResolved, model.StatusMitigatedExternal,
		model.StatusMitigated, model.StatusResolvedExternal, model.StatusConfirmed, model.StatusReported,
		model.StatusUnknownFutureValue} {
		inputs = append(inputs, string(s))
	}
	inputs = append(inputs, "advisory", "incident", "microsoft", "thirdParty", "customer", "preventOrFixIssue",
		"planForChange", "stayInformed", "normal", "high", "critical", "regular", "quick", "strategic")
	for _, in := range inputs {
		b := []byte(in)
		tests := []struct {
			name      string
			got, want string
		}{
			{"status", string(statusOf(b)), string(model.ParseStatus(str(in)))},
			{"classification", string(classificationOf(b)), string(model.ParseClassification(str(in)))},
			{"origin", string(originOf(b)), string(model.ParseOrigin(str(in)))},
			{"category", string(categoryOf(b)), string(model.ParseCategory(str(in)))},
			{"severity", string(severityOf(b)), string(model.ParseSeverity(str(in)))},
			{"postType", string(postTypeOf(b)), string(model.ParsePostType(str(in)))},
			{"lower", lowerOf(b), lower(in)},
		}
		for _, tt := range tests {
			if tt.got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.name, in, tt.got, tt.want)
			}
		}
	}
}

// TestParseTimeBytes checks the fast path against parseTime.
func TestParseTimeBytes(t *testing.T) {
	tests := []string{
		"2023-05-14T12:00:00Z", "2023-05-14T12:00:00", "2023-05-14T12:00:00.9Z", "2023-05-14T12:00:00.123456789Z",
		"2023-05-14T12:00:00.1234567890Z", "2023-05-14T12:00:00.Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
		"2023-04-31T00:00:00Z", "2023-12-31T23:59:59.9999999Z", "2023-05-14T23:60:00Z", "2023-05-14T12:00:00+01:00",
		"2023-00-14T12:00:00Z", "2023-05-00T12:00:00Z", "2023-05-14T12:00:00ZZ", "2023-05-14t12:00:00Z", "",
		"null", "2023-05-14", "0000-01-01T00:00:00Z", "+023-05-14T12:00:00Z", "2023-05-14T12:00:00z",
	}
	for _, in := range tests {
		got, want := parseTimeBytes([]byte(in)), parseTime(in)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTimeBytes(%q) = %v, parseTime = %v", in, got, want)
		}
	}
}

// TestDecodeAllocations bounds the allocations of a big page: one string per
// text field and one slice per list, nothing per enum, time or member name.
func TestDecodeAllocations(t *testing.T) {
	issues, messages := bigPage(100, issueJSON), bigPage(100, messageJSON)
	tests := []struct {
		name string
		max  float64
		f    func()
	}{
		// Per issue: id, title, service, feature, featureGroup, impact,
		// details (+ name and value), posts (+ 2 contents) = 12.
		{"issues", 100*12 + 20, func() { _, _, _ = DecodeIssues(issues) }},
		// Per message: id, title, body, services (+2), tags (+3), details
		// (+4) = 15.
		{"messages", 100*15 + 20, func() { _, _, _ = DecodeMessages(messages) }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(3, tt.f); got > tt.max {
			t.Errorf("%s: %.0f allocations, want at most %.0f", tt.name, got, tt.max)
		}
	}
}

func FuzzDecodeMatchesReference(f *testing.F) {
	addSeeds(f)
	for _, s := range edgeCases[:len(edgeCases)-3] {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstReference(t, data)
	})
}

// TestPlain checks the word-at-a-time scan against a byte loop.
func TestPlain(t *testing.T) {
	slow := func(b []byte, i int) int {
		for ; i < len(b); i++ {
			if c := b[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return i
			}
		}
		return i
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for k := range b {
			if rng.IntN(8) == 0 {
				b[k] = byte(rng.IntN(256))
			} else {
				b[k] = byte(0x20 + rng.IntN(0x60))
			}
		}
		start := 0
		if len(b) > 0 {
			start = rng.IntN(len(b))
		}
		if got, want := plain(b, start), slow(b, start); got != want {
			t.Fatalf("plain(%q, %d) = %d, want %d", b, start, got, want)
		}
	}
}

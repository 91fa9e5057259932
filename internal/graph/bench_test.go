package graph

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// bigPage builds a page of n items shaped like real Graph responses.
func bigPage(n int, item func(i int) string) []byte {
	var b strings.Builder
	b.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#admin/serviceAnnouncement/issues","value":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item(i))
	}
	b.WriteString(`],"@odata.nextLink":"https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues?$skip=1000"}`)
	return []byte(b.String())
}

func issueJSON(i int) string {
	return fmt.Sprintf(`{"startDateTime":"2023-05-14T12:00:00Z","endDateTime":null,"lastModifiedDateTime":"2023-05-14T13:55:21.9720778Z","title":"Users may be unable to access Exchange Online mailboxes %d","id":"EX%d","impactDescription":"Users may be unable to access their mailbox.","classification":"incident","origin":"microsoft","status":"serviceDegradation","service":"Exchange Online","feature":"E-Mail and calendar access","featureGroup":"E-Mail and calendar access","isResolved":false,"highImpact":null,"details":[{"name":"NotifyInApp","value":"True"}],"posts":[{"createdDateTime":"2023-05-14T12:10:00.767Z","postType":"regular","description":{"contentType":"html","content":"Title: Users may be unable to access Exchange Online mailboxes\nUser impact: Users may be unable to access their mailbox.\nCurrent status: We're investigating a potential issue and checking for impact to your organization. We'll provide an update within 30 minutes."}},{"createdDateTime":"2023-05-14T13:10:00.767Z","postType":"regular","description":{"contentType":"html","content":"Title: Users may be unable to access Exchange Online mailboxes\nUser impact: Users may be unable to access their mailbox.\nCurrent status: We've identified a recent change and are reverting it."}}]}`, i, 500000+i)
}

func messageJSON(i int) string {
	return fmt.Sprintf(`{"startDateTime":"2024-03-01T00:00:00Z","endDateTime":"2024-09-30T07:00:00Z","lastModifiedDateTime":"2024-03-02T10:11:12.1234567Z","title":"(Updated) Retirement of Office 365 connectors within Microsoft Teams %d","id":"MC%d","category":"planForChange","severity":"high","tags":["Action required","Retirement","User impact"],"isMajorChange":true,"actionRequiredByDateTime":"2024-08-15T07:00:00Z","services":["Microsoft Teams","SharePoint Online"],"expiryDateTime":null,"viewPoint":null,"details":[{"name":"Summary","value":"Connectors retire."},{"name":"ExternalLink","value":"https://learn.microsoft.com/x"}],"body":{"contentType":"html","content":"<p>We are retiring Office 365 connectors &amp; replacing them with Workflows.</p><p><strong>When this will happen:</strong></p><ul><li>August 15, 2024</li></ul><p><img src=\"https://x/y.png\" alt=\"\"></p>"},"hasAttachments":false}`, i, 800000+i)
}

func BenchmarkDecodeIssues(b *testing.B) {
	data := bigPage(1000, issueJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		items, _, err := DecodeIssues(data)
		if err != nil || len(items) != 1000 {
			b.Fatal(err, len(items))
		}
	}
}

func BenchmarkDecodeMessages(b *testing.B) {
	data := bigPage(1000, messageJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		items, _, err := DecodeMessages(data)
		if err != nil || len(items) != 1000 {
			b.Fatal(err, len(items))
		}
	}
}

// BenchmarkReadJSON reads a page of 1,000 messages the way the client does
// (chunks, strings over the limit cut), of a known length or chunked, with
// its buffer given back after (as fetch does) or not; BenchmarkReadAll is
// the plain read it replaced.
func BenchmarkReadJSON(b *testing.B) {
	data := bigPage(1000, messageJSON)
	for _, size := range []int64{int64(len(data)), -1} {
		for _, reuse := range []bool{true, false} {
			b.Run(fmt.Sprintf("size=%d/reuse=%v", size, reuse), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					out, _, _, err := readJSON(bytes.NewReader(data), size, DefaultMaxBodyBytes, DefaultMaxPageBytes, DefaultMaxTextBytes)
					if err != nil || len(out) != len(data) {
						b.Fatal(err, len(out))
					}
					if reuse {
						putPage(out)
					}
				}
			})
		}
	}
}

func BenchmarkReadAll(b *testing.B) {
	data := bigPage(1000, messageJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := io.ReadAll(io.LimitReader(bytes.NewReader(data), DefaultMaxBodyBytes+1))
		if err != nil || len(out) != len(data) {
			b.Fatal(err, len(out))
		}
	}
}

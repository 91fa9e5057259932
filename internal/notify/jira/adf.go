package jira

import (
	"strings"
)

// Node is one node of an Atlassian Document Format document
// (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/):
// the channel writes "doc" (version 1), "paragraph", "text" and
// "hardBreak" nodes only.
type Node struct {
	Type    string `json:"type"`
	Version int    `json:"version,omitempty"`
	Text    string `json:"text,omitempty"`
	Content []Node `json:"content,omitempty"`
}

// ADF wraps plain text minimally: one paragraph per block of lines
// separated by blank lines, the lines of a block joined by hard breaks.
// Jira rejects empty text nodes and a doc without content, so empty lines
// are dropped and empty text becomes one empty paragraph.
func ADF(text string) Node {
	doc := Node{Type: "doc", Version: 1, Content: []Node{}}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var para []Node
	flush := func() {
		if len(para) > 0 {
			doc.Content = append(doc.Content, Node{Type: "paragraph", Content: para})
			para = nil
		}
	}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			flush()
			continue
		}
		if len(para) > 0 {
			para = append(para, Node{Type: "hardBreak"})
		}
		para = append(para, Node{Type: "text", Text: line})
	}
	flush()
	if len(doc.Content) == 0 {
		doc.Content = append(doc.Content, Node{Type: "paragraph"})
	}
	return doc
}

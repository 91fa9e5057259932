// Package scenario holds the timeline that the local Microsoft Graph
// simulator plays for `shdmc demo`: Service Health issues, health overviews
// and Message Center posts built on real Microsoft 365 incidents, re-dated
// onto one three-week timeline that the demo runs in about a minute.
//
// The timeline format is parsed by the simulator; this package only ships
// the data. README.md in this directory lists what it contains and where
// each incident comes from.
package scenario

import _ "embed"

// Demo is the YAML text of the demo scenario (demo.yaml). It starts at
// 2023-05-14T19:45:00Z with a baseline of existing items and then plays
// EX559755, an OMEv2 cross-tenant advisory, an ECS configuration outage, a
// Microsoft Entra sign-in outage, a token generation outage and a stream of
// Message Center posts, updates and one removal. Callers must not modify it.
//
//go:embed demo.yaml
var Demo []byte

// TranslationsJA is the demo's Japanese translation memory
// (translations.ja.json): Japanese written by the shdmc developers for the
// scenario's English prose, not a Microsoft translation. The demo serves it
// through the same memory lookup as a production translator.
//
//go:embed translations.ja.json
var TranslationsJA []byte

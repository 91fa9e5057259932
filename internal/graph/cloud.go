package graph

import (
	"fmt"
	"net/url"
	"strings"
)

// Cloud names a Microsoft 365 / Microsoft Graph deployment.
// https://learn.microsoft.com/graph/deployments
type Cloud string

// The national clouds that serve the service communications API.
const (
	// CloudGlobal is the worldwide service, also used by Microsoft 365 GCC ("moderate").
	CloudGlobal Cloud = "global"
	// CloudGCCHigh is US Government L4 (GCC High).
	CloudGCCHigh Cloud = "gcchigh"
	// CloudDoD is US Government L5 (DoD).
	CloudDoD Cloud = "dod"
	// CloudChina is Microsoft 365 operated by 21Vianet.
	CloudChina Cloud = "china"
)

// ParseCloud returns the canonical Cloud for a name or alias, matching
// case-insensitively: "" and "gcc" are global, "usgov" and "usgovl4" are
// gcchigh, "usgovl5" is dod. Germany is refused: that cloud no longer exists.
func ParseCloud(s string) (Cloud, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "global", "public", "gcc", "azurecloud", "worldwide":
		return CloudGlobal, nil
	case "gcchigh", "gcc-high", "gcc_high", "usgov", "usgovl4", "l4":
		return CloudGCCHigh, nil
	case "dod", "usgovl5", "l5":
		return CloudDoD, nil
	case "china", "21vianet", "azurechinacloud":
		return CloudChina, nil
	case "germany", "de", "azuregermancloud", "blackforest":
		return "", fmt.Errorf("cloud %q: Microsoft Cloud Deutschland (graph.microsoft.de) no longer exists; its tenants moved to the global cloud, use \"global\"", s)
	}
	return "", fmt.Errorf("unknown cloud %q (want global, gcc, gcchigh, usgov, usgovl4, dod, usgovl5 or china)", s)
}

// CloudEndpoints returns the Microsoft Graph root and the Entra ID authority
// host of a cloud, both as https URLs without a trailing slash.
func CloudEndpoints(c Cloud) (graphRoot, authorityHost string, err error) {
	cc, err := ParseCloud(string(c))
	if err != nil {
		return "", "", err
	}
	switch cc {
	case CloudGCCHigh:
		return "https://graph.microsoft.us", "https://login.microsoftonline.us", nil
	case CloudDoD:
		return "https://dod-graph.microsoft.us", "https://login.microsoftonline.us", nil
	case CloudChina:
		return "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn", nil
	default:
		return "https://graph.microsoft.com", "https://login.microsoftonline.com", nil
	}
}

// publicAuthority reports whether host is the authority of one of the four
// public clouds, where Entra instance discovery works.
func publicAuthority(authority string) bool {
	u, err := url.Parse(authority)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Host) {
	case "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn":
		return u.Scheme == "https"
	}
	return false
}

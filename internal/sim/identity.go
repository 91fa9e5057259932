package sim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func (s *Server) baseFor(r *http.Request) string {
	if r.Host != "" {
		return "https://" + r.Host
	}
	return s.url
}

// handleMeta serves the OpenID configuration, an empty JWKS and an
// authorize endpoint that refuses interactive sign-in.
func (s *Server) handleMeta(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s.tenant(rc.tenant) == nil {
		s.entraError(w, rc, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", rc.tenant))
		return
	}
	base := s.baseFor(r) + "/" + rc.tenant
	switch {
	case strings.HasSuffix(r.URL.Path, "/keys"):
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
	case strings.HasSuffix(r.URL.Path, "/authorize"):
		s.entraError(w, rc, http.StatusBadRequest, "invalid_request", 900144,
			"The simulator supports only the client credentials flow.")
	default:
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"jwks_uri":                              base + "/discovery/v2.0/keys",
			"response_modes_supported":              []string{"query", "fragment", "form_post"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
			"issuer":                                base + "/v2.0",
			"request_uri_parameter_supported":       false,
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
			"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
			"tenant_region_scope":                   "EU",
			"cloud_instance_name":                   "microsoftonline.com",
			"cloud_graph_host_name":                 "graph.windows.net",
			"msgraph_host":                          strings.TrimPrefix(s.baseFor(r), "https://"),
		})
	}
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if r.Method != http.MethodPost {
		s.entraError(w, rc, http.StatusMethodNotAllowed, "invalid_request", 900561,
			"The endpoint only accepts POST requests. Received a "+r.Method+" request.")
		return
	}
	reg := s.tenant(rc.tenant)
	if reg == nil {
		s.entraError(w, rc, http.StatusBadRequest, "invalid_request", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", rc.tenant))
		return
	}
	f := r.PostForm
	switch gt := f.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		s.entraError(w, rc, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'grant_type'.")
		return
	default:
		s.entraError(w, rc, http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt))
		return
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		s.entraError(w, rc, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'client_id'.")
		return
	}
	if !strings.EqualFold(clientID, reg.t.ClientID) {
		s.entraError(w, rc, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, rc.tenant))
		return
	}
	switch {
	case f.Get("client_assertion") != "":
		if at := f.Get("client_assertion_type"); at != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			s.entraError(w, rc, http.StatusBadRequest, "invalid_request", 7000219,
				"'client_assertion' or 'client_secret' is required for the 'client_credentials' grant type.")
			return
		}
		aud := s.baseFor(r) + r.URL.Path
		if code, msg := s.verifyAssertion(reg, f.Get("client_assertion"), clientID, aud); code != 0 {
			s.entraError(w, rc, http.StatusUnauthorized, "invalid_client", code, msg)
			return
		}
	case f.Get("client_secret") != "":
		if reg.t.ClientSecret == "" || f.Get("client_secret") != reg.t.ClientSecret {
			s.entraError(w, rc, http.StatusUnauthorized, "invalid_client", 7000215,
				fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
			return
		}
	default:
		s.entraError(w, rc, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	if code, msg := s.checkScope(r, f.Get("scope")); code != 0 {
		s.entraError(w, rc, http.StatusBadRequest, "invalid_scope", code, msg)
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "sim." + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.wall()
	life := s.opts.TokenLifetime
	s.mu.Lock()
	if now.Sub(s.tokenSweep) > time.Minute {
		for k, v := range s.tokens {
			if now.After(v.expires.Add(time.Hour)) {
				delete(s.tokens, k)
			}
		}
		s.tokenSweep = now
	}
	s.tokens[tok] = tokenInfo{tenant: reg.t.ID, client: reg.t.ClientID, expires: now.Add(life)}
	s.mu.Unlock()
	rc.issuedToken = true
	secs := int64(life / time.Second)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   tok,
	})
}

// checkScope accepts "{resource}/.default" for this server or Graph.
func (s *Server) checkScope(r *http.Request, scope string) (int, string) {
	if scope == "" {
		return 900144, "The request body must contain the following parameter: 'scope'."
	}
	var def string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "offline_access", "profile", "email":
			continue
		}
		if !strings.HasSuffix(sc, "/.default") {
			return 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", sc)
		}
		def = strings.TrimSuffix(sc, "/.default")
	}
	if def == "" {
		return 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
	}
	res := strings.TrimSuffix(def, "/")
	ok := strings.EqualFold(res, "https://graph.microsoft.com") || res == "00000003-0000-0000-c000-000000000000" ||
		strings.EqualFold(res, s.baseFor(r)) || strings.EqualFold(res, s.url)
	if !ok && s.ln != nil {
		if u, err := url.Parse(res); err == nil && u.Scheme == "https" {
			port := fmt.Sprint(s.ln.Addr().(*net.TCPAddr).Port)
			h := u.Hostname()
			ok = u.Port() == port && (h == "127.0.0.1" || h == "localhost" || h == "::1")
		}
	}
	if !ok {
		return 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", def)
	}
	return 0, ""
}

// verifyAssertion checks a client assertion JWT; it returns an AADSTS code
// and message on failure.
func (s *Server) verifyAssertion(reg *tenantReg, jwt, clientID, aud string) (int, string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 50027, "JWT token is invalid or malformed."
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5tS256 string `json:"x5t#S256"`
		X5t     string `json:"x5t"`
	}
	var cl struct {
		Aud any     `json:"aud"`
		Iss string  `json:"iss"`
		Sub string  `json:"sub"`
		Exp float64 `json:"exp"`
		Nbf float64 `json:"nbf"`
	}
	if json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &cl) != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	if len(reg.keys) == 0 {
		return 700027, "Client assertion failed signature validation. The application has no registered certificate."
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range reg.keys {
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			continue
		}
		switch hdr.Alg {
		case "PS256":
			verified = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		case "RS256":
			verified = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
		default:
			return 5002738, fmt.Sprintf("Invalid JWT token. '%s' is not a supported signature algorithm. Supported signing algorithms are: 'RS256, HS256, PS256'.", hdr.Alg)
		}
		if verified {
			break
		}
	}
	if !verified {
		return 700027, "Client assertion failed signature validation. Reason - The key was not found."
	}
	audOK := false
	switch a := cl.Aud.(type) {
	case string:
		audOK = a == aud
	case []any:
		for _, v := range a {
			if v == aud {
				audOK = true
			}
		}
	}
	if !audOK {
		return 700212, fmt.Sprintf("No matching federated identity record found for presented assertion audience '%v'.", cl.Aud)
	}
	if cl.Iss != clientID || cl.Sub != clientID {
		return 700023, "Client assertion audience claim does not match Realm issuer."
	}
	now := float64(s.wall().Unix())
	if cl.Exp == 0 || now > cl.Exp+300 || (cl.Nbf != 0 && now+300 < cl.Nbf) {
		return 700024, "Client assertion is not within its valid time range."
	}
	return 0, ""
}

// entraError writes an error body shaped like Entra's token endpoint.
func (s *Server) entraError(w http.ResponseWriter, rc *reqCtx, status int, code string, aadsts int, desc string) {
	now := s.wall().UTC()
	ts := now.Format("2006-01-02 15:04:05Z")
	trace, corr := rc.reqID, rc.clientReqID
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("x-ms-request-id", trace)
	writeJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, desc, trace, corr, now.Format("2006-01-02 15:04:05.0000000Z")),
		"error_codes":    []int{aadsts},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

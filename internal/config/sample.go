package config

import _ "embed"

//go:embed sample.yaml
var sample []byte

// Sample returns the complete commented sample configuration, the one the
// README shows. It validates when CONTOSO_CLIENT_SECRET is set and
// certs/fabrikam.pem exists next to it.
func Sample() []byte {
	return append([]byte(nil), sample...)
}

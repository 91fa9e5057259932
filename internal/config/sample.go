package config

import _ "embed"

//go:embed sample.yaml
var sample []byte

// Sample returns the complete commented sample configuration, the one the
// README shows. It validates when CONTOSO_CLIENT_SECRET is set; its
// optional tenants are commented out.
func Sample() []byte {
	return append([]byte(nil), sample...)
}

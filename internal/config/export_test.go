package config

import "reflect"

// YAMLKeys lists the yaml keys of a struct type, for the tests of package
// config_test.
func YAMLKeys(t reflect.Type) []string {
	var keys []string
	for _, f := range fieldsOf(t) {
		keys = append(keys, f.name)
	}
	return keys
}

package config

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// TenantIDs returns the ids of the tenants in the configuration file at
// path, each with the line it is set on. It neither validates the file
// nor expands ${NAME}, so that `shdmc tenants add` can refuse an id the
// file already has without needing the file's secrets. A missing file is
// an error that wraps fs.ErrNotExist.
func TenantIDs(path string) (map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{syntaxError(path, data, err)}
	}
	ids := map[string]int{}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return ids, nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "tenants" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, t := range root.Content[i+1].Content {
			if t.Kind == yaml.AliasNode && t.Alias != nil {
				t = t.Alias
			}
			if t.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(t.Content); j += 2 {
				if k, v := t.Content[j], t.Content[j+1]; k.Value == "id" && v.Kind == yaml.ScalarNode {
					ids[v.Value] = k.Line
				}
			}
		}
	}
	return ids, nil
}

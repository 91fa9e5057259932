package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
)

// envSecret reads the secret of the environment variable name, or of the
// file that name_FILE names (which wins); from is the variable used. ok
// is false when the file cannot be read (the problem is recorded at key).
func (d *decoder) envSecret(name, key string) (s Secret, from string, ok bool) {
	if file, _ := d.env(name + "_FILE"); file != "" {
		b, err := readLimited(file, maxSecretFile)
		if err != nil {
			d.errs = append(d.errs, Error{File: d.file, Key: key, Msg: fmt.Sprintf("from %s_FILE: cannot read the secret: %v", name, err)})
			d.failed[key] = true
			return "", "", false
		}
		return Secret(strings.TrimSpace(string(b))), name + "_FILE", true
	}
	v, _ := d.env(name)
	return Secret(v), name, true
}

// secretFiles reads, for every Secret field K of the struct v (and of the
// structs in it), the file named by its string field K_file, and resolves
// that path; path is the key path of v.
func (d *decoder) secretFiles(v reflect.Value, path, dir string) {
	if v.Kind() != reflect.Struct {
		return
	}
	fields := fieldsOf(v.Type())
	for _, f := range fields {
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Struct {
			d.secretFiles(fv, join(path, f.name), dir)
			continue
		}
		if fv.Type() != secretType {
			continue
		}
		for _, g := range fields {
			fileField := v.Field(g.index)
			if g.name != f.name+"_file" || fileField.Kind() != reflect.String {
				continue
			}
			secret := d.secretFromFile(Secret(fv.String()), fileField.String(), dir, join(path, f.name), join(path, g.name))
			fv.SetString(string(secret))
			fileField.SetString(resolvePath(dir, fileField.String()))
		}
	}
}

// maxSecretFile bounds what is read from a secret file; secrets are short.
const maxSecretFile = 64 << 10

// secretFromFile returns the secret from the file named by the key
// fileKey, or value when no file is set. Setting both is an error. Errors
// name the file, never its content.
func (d *decoder) secretFromFile(value Secret, file, dir, valueKey, fileKey string) Secret {
	if file == "" {
		return value
	}
	if _, both := d.pos[valueKey]; both {
		d.errAt(d.node(fileKey), fileKey, "set either %s or %s, not both", lastKey(valueKey), lastKey(fileKey))
		return value
	}
	path := resolvePath(dir, file)
	b, err := readLimited(path, maxSecretFile)
	if err != nil {
		d.errAt(d.node(fileKey), fileKey, "cannot read the secret: %v", err)
		d.failed[valueKey] = true
		return ""
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		d.errAt(d.node(fileKey), fileKey, "file %s is empty", path)
		d.failed[valueKey] = true
	}
	return Secret(s)
}

func lastKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// readLimited reads at most limit bytes of a file and fails if it is
// larger, so that a mistaken path such as /dev/zero cannot hang Load.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return buf.Bytes(), nil
}

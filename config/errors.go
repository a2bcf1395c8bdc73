package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one problem in a configuration file: the file, the line
// (0 when unknown), the key and what is wrong with it.
type FieldError struct {
	File string
	Line int
	Key  string // e.g. sources[1].base_url
	Msg  string
}

func (e *FieldError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", where, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", where, e.Key, e.Msg)
}

// Errors is every problem found in a configuration file, in file order;
// Load and Parse report them all at once.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	if len(es) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems in the configuration:\n  %s", len(es), strings.Join(lines, "\n  "))
}

// positions maps every key path of a YAML document (institutions[0].id,
// exporter.windows[1]) to its line.
type positions map[string]int

// newPositions walks the document node.
func newPositions(doc *yaml.Node) positions {
	p := positions{}
	if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		p.walk("", doc.Content[0])
	}
	return p
}

func (p positions) walk(path string, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			p[child] = k.Line
			p.walk(child, v)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			child := fmt.Sprintf("%s[%d]", path, i)
			p[child] = v.Line
			p.walk(child, v)
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			p.walk(path, n.Alias)
		}
	}
}

// lineOf is the line of key, or of its nearest ancestor in the file (a
// missing required key is reported where its parent is).
func (p positions) lineOf(key string) int {
	for key != "" {
		if l, ok := p[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// yamlLine matches the "line N: " yaml.v3 puts before each decoding error.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// decodeErrors turns a yaml.v3 error (a TypeError holds every field that
// did not decode) into FieldErrors with their lines.
func decodeErrors(path string, err error) Errors {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out Errors
	for _, m := range msgs {
		fe := &FieldError{File: path, Msg: m}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			fe.Line, _ = strconv.Atoi(sm[1])
			fe.Msg = sm[2]
		}
		out = append(out, fe)
	}
	return out
}

// sortByLine orders problems as they appear in the file, keeping the
// order of validation among problems on the same line.
func (es Errors) sortByLine() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
}

package discordtest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// discordSpec is the vendored subset of Discord's OpenAPI description
// (testdata/discord-openapi-subset.json; see its x-source for the commit).
//
//go:embed testdata/discord-openapi-subset.json
var discordSpec []byte

// schemaDoc is the vendored spec, parsed: request bodies by "METHOD /path
// template" and the component schemas they reference.
type schemaDoc struct {
	bodies   map[string]any
	schemas  map[string]any
	patterns map[string]*regexp.Regexp
}

func parseSchemaDoc(raw []byte) (*schemaDoc, error) {
	var doc struct {
		RequestBodies map[string]any `json:"requestBodies"`
		Components    struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("discordtest: parsing the vendored Discord spec: %w", err)
	}
	d := &schemaDoc{bodies: doc.RequestBodies, schemas: doc.Components.Schemas, patterns: map[string]*regexp.Regexp{}}
	// Compile every pattern now, so validation never meets a bad one.
	var walk func(any) error
	walk = func(x any) error {
		switch t := x.(type) {
		case map[string]any:
			if p, ok := t["pattern"].(string); ok {
				re, err := regexp.Compile(p)
				if err != nil {
					return fmt.Errorf("discordtest: pattern %q in the vendored spec: %w", p, err)
				}
				d.patterns[p] = re
			}
			for _, y := range t {
				if err := walk(y); err != nil {
					return err
				}
			}
		case []any:
			for _, y := range t {
				if err := walk(y); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, s := range []any{doc.RequestBodies, doc.Components.Schemas} {
		if err := walk(s); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// validate checks v against schema s and appends what fails, with
// Discord-style dotted paths ("embeds.0.url").
func (d *schemaDoc) validate(s any, v any, path string, out *[]Violation) {
	sm, ok := s.(map[string]any)
	if !ok {
		return
	}
	add := func(code, format string, args ...any) {
		*out = append(*out, Violation{Rule: "schema." + code, Field: path, Message: fmt.Sprintf(format, args...), Source: "openapi"})
	}
	if ref, ok := sm["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, found := d.schemas[name]
		if !found {
			add("ref", "unresolved reference %s", ref)
		} else {
			d.validate(target, v, path, out)
		}
	}
	if t, ok := sm["type"]; ok && !typeMatches(t, v) {
		add("type", "must be of type %v, got %s", t, jsonType(v))
		return // the other keywords assume the right type
	}
	if c, ok := sm["const"]; ok && !jsonEqual(c, v) {
		add("const", "must be %v", c)
	}
	if e, ok := sm["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || jsonEqual(x, v)
		}
		if !found {
			add("enum", "must be one of %v", e)
		}
	}
	for _, sub := range asList(sm["allOf"]) {
		d.validate(sub, v, path, out)
	}
	if alts := asList(sm["oneOf"]); len(alts) > 0 {
		d.alternatives(alts, v, path, out, true)
	}
	if alts := asList(sm["anyOf"]); len(alts) > 0 {
		d.alternatives(alts, v, path, out, false)
	}
	switch x := v.(type) {
	case string:
		n := utf8.RuneCountInString(x)
		if m, ok := num(sm["maxLength"]); ok && float64(n) > m {
			add("maxLength", "must be %v or fewer in length", m)
		}
		if m, ok := num(sm["minLength"]); ok && float64(n) < m {
			add("minLength", "must be at least %v in length", m)
		}
		if p, ok := sm["pattern"].(string); ok && d.patterns[p] != nil && !d.patterns[p].MatchString(x) {
			add("pattern", "must match %s", p)
		}
		if f, ok := sm["format"].(string); ok {
			if msg := checkStringFormat(f, x); msg != "" {
				add("format", "%s", msg)
			}
		}
	case float64:
		if m, ok := num(sm["maximum"]); ok && x > m {
			add("maximum", "must be at most %v", m)
		}
		if m, ok := num(sm["minimum"]); ok && x < m {
			add("minimum", "must be at least %v", m)
		}
		if f, _ := sm["format"].(string); f == "int32" && (x < math.MinInt32 || x > math.MaxInt32) {
			add("format", "must fit in 32 bits")
		}
	case []any:
		if m, ok := num(sm["maxItems"]); ok && float64(len(x)) > m {
			add("maxItems", "must be %v or fewer in length", m)
		}
		if m, ok := num(sm["minItems"]); ok && float64(len(x)) < m {
			add("minItems", "must be at least %v in length", m)
		}
		if u, _ := sm["uniqueItems"].(bool); u {
			for i := range x {
				for j := i + 1; j < len(x); j++ {
					if jsonEqual(x[i], x[j]) {
						add("uniqueItems", "items %d and %d are the same", i, j)
					}
				}
			}
		}
		if items, ok := sm["items"]; ok {
			for i, y := range x {
				d.validate(items, y, join(path, strconv.Itoa(i)), out)
			}
		}
	case map[string]any:
		for _, r := range asList(sm["required"]) {
			if name, _ := r.(string); name != "" {
				if _, present := x[name]; !present {
					*out = append(*out, Violation{Rule: "schema.required", Field: join(path, name), Message: "this field is required", Source: "openapi"})
				}
			}
		}
		if m, ok := num(sm["maxProperties"]); ok && float64(len(x)) > m {
			add("maxProperties", "must have %v or fewer properties", m)
		}
		props, _ := sm["properties"].(map[string]any)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // stable violation order
		for _, k := range keys {
			if ps, found := props[k]; found {
				d.validate(ps, x[k], join(path, k), out)
			} else if ap, found := sm["additionalProperties"]; found {
				if allowed, isBool := ap.(bool); isBool && !allowed {
					*out = append(*out, Violation{Rule: "schema.additionalProperties", Field: join(path, k), Message: "unknown field", Source: "openapi"})
				} else if !isBool {
					d.validate(ap, x[k], join(path, k), out)
				}
			}
			// Other unknown fields: Discord ignores them, and so does the spec.
		}
	}
}

// alternatives applies oneOf (exactly one) or anyOf (at least one). When
// none matches it reports the errors of the closest branch: one whose
// "type" discriminator matched, with the fewest errors.
func (d *schemaDoc) alternatives(alts []any, v any, path string, out *[]Violation, exactlyOne bool) {
	best, bestScore, matched := []Violation(nil), math.MaxInt, 0
	for _, a := range alts {
		var errs []Violation
		d.validate(a, v, path, &errs)
		if len(errs) == 0 {
			matched++
			continue
		}
		score := len(errs)
		for _, e := range errs {
			if e.Field == join(path, "type") || (e.Field == path && e.Rule == "schema.type") {
				score += 1000 // a different variant, not a broken one
			}
		}
		if score < bestScore {
			best, bestScore = errs, score
		}
	}
	switch {
	case matched == 0 && allConst(alts):
		// The spec spells enums as oneOf of consts; say it as an enum.
		var vals []any
		for _, a := range alts {
			vals = append(vals, a.(map[string]any)["const"])
		}
		*out = append(*out, Violation{Rule: "schema.enum", Field: path, Message: fmt.Sprintf("must be one of %v, not %v", vals, v), Source: "openapi"})
	case matched == 0:
		*out = append(*out, best...)
	case exactlyOne && matched > 1:
		*out = append(*out, Violation{Rule: "schema.oneOf", Field: path, Message: fmt.Sprintf("matches %d variants, not exactly one", matched), Source: "openapi"})
	}
}

func allConst(alts []any) bool {
	for _, a := range alts {
		m, ok := a.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["const"]; !ok {
			return false
		}
	}
	return true
}

// checkStringFormat checks the string formats the spec uses; "" means valid.
func checkStringFormat(format, s string) string {
	switch format {
	case "uri":
		if !validURI(s) {
			return "must be a valid URI (RFC 3986: ASCII, spaces and other reserved characters percent-encoded)"
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return "must be an RFC 3339 date-time"
		}
	case "int64":
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return "must be a 64-bit integer"
		}
	}
	return ""
}

// uriChars are the characters RFC 3986 allows literally in a URI
// (unreserved, gen-delims and sub-delims) besides "%".
const uriChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;="

var uriSchemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// validURI reports whether s is an absolute URI per RFC 3986 (JSON
// Schema's "uri" format): a scheme, only allowed ASCII characters, and
// every "%" starting a two-digit hex escape.
func validURI(s string) bool {
	if !uriSchemeRe.MatchString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
			continue
		}
		if !strings.ContainsRune(uriChars, rune(c)) {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	// "[" and "]" are only allowed around an IPv6 host.
	rest := strings.TrimPrefix(s, u.Scheme+":")
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		if k := strings.IndexAny(rest, "/?#"); k >= 0 {
			rest = rest[k:]
		} else {
			rest = ""
		}
	}
	return !strings.ContainsAny(rest, "[]")
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func typeMatches(t any, v any) bool {
	switch tt := t.(type) {
	case string:
		return typeIs(tt, v)
	case []any:
		for _, x := range tt {
			if s, _ := x.(string); typeIs(s, v) {
				return true
			}
		}
	}
	return false
}

func typeIs(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

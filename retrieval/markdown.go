package retrieval

import (
	"fmt"
	"regexp"
	"strings"
)

// ParseMarkdown builds a Document from a Markdown article. A leading front
// matter block (YAML-style "key: value" lines between "---" lines) supplies
// title, date (or published), url and source (or site); the body loses its
// Markdown syntax (heading marks, emphasis, link targets, images) so quotes
// read as plain sentences, and soft-wrapped lines are joined into one
// paragraph each so sentences are not cut at line ends.
func ParseMarkdown(id string, raw []byte) (Document, error) {
	if err := CheckText(raw); err != nil {
		return Document{}, fmt.Errorf("%s: %w", id, err)
	}
	src := strings.TrimPrefix(StripControls(string(raw)), "\uFEFF")
	src = strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n")
	fm, body := frontMatter(src)
	h1, text := markdownText(body)

	title := first(fm, "title", "headline")
	if title == "" {
		title = h1
	}
	// With a known title no body line is taken for one: a short first
	// paragraph or sub-heading stays article text.
	c := clean(text, title)
	if strings.TrimSpace(c.Body) == "" {
		return Document{}, fmt.Errorf("%s: %w (nothing left after cleaning)", id, ErrEmpty)
	}
	d := Document{ID: id, Title: c.Title, TitleDerived: c.TitleDerived, Text: c.Body, Hash: HashBytes(raw)}
	if title != "" {
		d.Title, d.TitleDerived = title, false
	}
	if d.Title == "" {
		// Nothing title-like at all (the text is only symbols): the ID
		// still names the article in sources and citations.
		d.Title, d.TitleDerived = id, true
	}
	if t, ok := parseDate(first(fm, "date", "published", "published_at", "publishdate", "pubdate", "date_published")); ok {
		d.Published = t
	}
	d.URL = first(fm, "url", "canonical", "canonical_url", "link", "source_url")
	d.Site = first(fm, "site", "site_name", "publisher", "source")
	if d.URL == "" && looksLikeURL(d.Site) {
		d.URL, d.Site = d.Site, ""
	}
	stripFieldControls(&d)
	return d, nil
}

// frontMatter splits off a leading "---" block of "key: value" lines. An
// unclosed block is not front matter: the text is returned whole.
func frontMatter(src string) (map[string]string, string) {
	fm := map[string]string{}
	lines := strings.Split(src, "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return fm, src
	}
	for i := 1; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "---" || l == "..." {
			return fm, strings.Join(lines[i+1:], "\n")
		}
		k, v, ok := strings.Cut(lines[i], ":")
		// Indented lines belong to nested values we do not read.
		if !ok || strings.HasPrefix(lines[i], " ") || strings.HasPrefix(lines[i], "\t") {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		if _, dup := fm[k]; !dup && v != "" {
			fm[k] = v
		}
	}
	return map[string]string{}, src
}

func first(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(m[k]); v != "" {
			return v
		}
	}
	return ""
}

func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

var (
	reMDHeading  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	reMDListItem = regexp.MustCompile(`^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$`)
	reMDRule     = regexp.MustCompile(`^\s{0,3}([-*_])(\s*([-*_]))*\s*$`)
	reMDSetext   = regexp.MustCompile(`^\s{0,3}(=+|-+)\s*$`)
	reMDRefDef   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+\S+`)
	reMDImage    = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	reMDLink     = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	reMDRefLink  = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	reMDFootnote = regexp.MustCompile(`\[\^[^\]]+\]`)
	reMDAutolink = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	reMDTag      = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>`)
	reMDCode     = regexp.MustCompile("`+([^`]+?)`+")
	reMDStrong   = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	reMDEmStar   = regexp.MustCompile(`\*(\S(?:[^*]*?\S)?)\*`)
	reMDEmUnder  = regexp.MustCompile(`(^|[^\w])_(\S(?:[^_]*?\S)?)_($|[^\w])`)
	reMDStrike   = regexp.MustCompile(`~~(.+?)~~`)
	reMDEscape   = regexp.MustCompile(`\\([\\` + "`" + `*_{}\[\]()#+\-.!>~|])`)
)

// markdownText turns a Markdown body into plain paragraphs separated by
// blank lines. It returns the first level-1 heading (when it comes before
// any text) separately: that is the article's title, not its body.
func markdownText(body string) (h1, text string) {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			if p := oneLineText(strings.Join(cur, " ")); p != "" {
				paras = append(paras, p)
			}
		}
		cur = nil
	}
	inFence, inComment := false, false
	for _, line := range strings.Split(body, "\n") {
		trim := strings.TrimSpace(line)
		switch {
		case inComment:
			if strings.Contains(trim, "-->") {
				inComment = false
			}
			continue
		case strings.HasPrefix(trim, "<!--"):
			inComment = !strings.Contains(trim, "-->")
			continue
		case strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~"):
			flush()
			inFence = !inFence
			continue
		case inFence:
			// Code keeps its lines; each is its own paragraph.
			flush()
			cur = []string{line}
			flush()
			continue
		case trim == "":
			flush()
			continue
		case reMDSetext.MatchString(line) && len(cur) == 1:
			// "Title\n=====": the line above was a heading.
			h := mdInline(cur[0])
			cur = nil
			if strings.HasPrefix(trim, "=") && h1 == "" && len(paras) == 0 {
				h1 = h
			} else {
				paras = append(paras, h)
			}
			continue
		case reMDRule.MatchString(line) && len(strings.ReplaceAll(trim, " ", "")) >= 3:
			flush()
			continue
		case reMDRefDef.MatchString(line):
			continue
		}
		if m := reMDHeading.FindStringSubmatch(trim); m != nil {
			flush()
			h := mdInline(m[2])
			if len(m[1]) == 1 && h1 == "" && len(paras) == 0 {
				h1 = h
			} else if h != "" {
				paras = append(paras, h)
			}
			continue
		}
		for strings.HasPrefix(trim, ">") {
			trim = strings.TrimSpace(strings.TrimPrefix(trim, ">"))
		}
		if m := reMDListItem.FindStringSubmatch(trim); m != nil && !reMDRule.MatchString(trim) {
			flush()
			cur = []string{"- " + mdInline(m[2])}
			continue
		}
		cur = append(cur, mdInline(trim))
	}
	flush()
	return h1, strings.Join(paras, "\n\n")
}

// mdInline strips inline Markdown: images go, links keep their text,
// emphasis and code marks go, escapes are resolved.
func mdInline(s string) string {
	s = reMDImage.ReplaceAllString(s, "")
	s = reMDLink.ReplaceAllString(s, "$1")
	s = reMDRefLink.ReplaceAllString(s, "$1")
	s = reMDFootnote.ReplaceAllString(s, "")
	s = reMDAutolink.ReplaceAllString(s, "$1")
	s = reMDTag.ReplaceAllString(s, "")
	s = reMDCode.ReplaceAllString(s, "$1")
	s = reMDStrong.ReplaceAllString(s, "$2")
	s = reMDEmStar.ReplaceAllString(s, "$1")
	s = reMDEmUnder.ReplaceAllString(s, "$1$2$3")
	s = reMDStrike.ReplaceAllString(s, "$1")
	s = reMDEscape.ReplaceAllString(s, "$1")
	return strings.TrimSpace(s)
}

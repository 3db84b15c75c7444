package retrieval

import (
	"bytes"
	"encoding/json"
	"fmt"
	nurl "net/url"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
)

// ParseHTML builds a Document from a saved web page. The article body is
// found by readability (Mozilla's algorithm, which drops navigation, footers,
// asides and share widgets by their markup), then passed through Clean for
// the chrome that survives (cookie notices, "Share this" labels). Metadata
// comes only from machine-readable places: <meta> tags, JSON-LD, <link
// rel=canonical>, <title> and the page's <h1>; nothing is guessed from the
// body text.
func ParseHTML(id string, raw []byte) (Document, error) {
	if err := CheckText(raw); err != nil {
		return Document{}, fmt.Errorf("%s: %w", id, err)
	}
	root, err := html.Parse(bytes.NewReader(raw))
	if err != nil {
		return Document{}, fmt.Errorf("%s: parsing HTML: %w", id, err)
	}
	meta := htmlMeta(root)
	base, err := nurl.Parse(meta.url)
	if err != nil || meta.url == "" || !base.IsAbs() {
		// readability resolves relative links against the page URL; a
		// file URL keeps that harmless when the page names none.
		base = &nurl.URL{Scheme: "file", Path: "/" + id + ".html"}
	}
	art, err := readability.FromDocument(root, base)
	if err != nil {
		return Document{}, fmt.Errorf("%s: extracting the article: %w", id, err)
	}
	if art.Node == nil {
		return Document{}, fmt.Errorf("%s: %w (no article text found in the page)", id, ErrEmpty)
	}
	site := meta.site
	if site == "" {
		site = oneLineText(art.SiteName())
	}
	title := meta.title
	if title == "" {
		title = oneLineText(art.Title())
	}
	// The page names its title, so the body's repeat of the headline goes
	// and every other line, however short, stays article text.
	c := clean(blockText(art.Node), title)
	if strings.TrimSpace(c.Body) == "" {
		return Document{}, fmt.Errorf("%s: %w (nothing left after cleaning)", id, ErrEmpty)
	}
	d := Document{ID: id, Title: c.Title, TitleDerived: c.TitleDerived, Text: c.Body, Hash: HashBytes(raw),
		Site: site, URL: meta.url, Published: meta.published}
	if title != "" {
		d.Title, d.TitleDerived = trimSiteSuffix(title, d.Site), false
	}
	if d.Title == "" {
		// Nothing title-like at all (the text is only symbols): the ID
		// still names the article in sources and citations.
		d.Title, d.TitleDerived = id, true
	}
	if d.Published.IsZero() {
		if t, err := art.PublishedTime(); err == nil {
			d.Published = t
		}
	}
	// JSON-LD and attribute values bypass oneLineText; entities such as
	// "&#27;" only become control characters after parsing.
	stripFieldControls(&d)
	if d.Title == "" {
		d.Title, d.TitleDerived = id, true
	}
	return d, nil
}

// pageMeta is what a page says about itself in machine-readable form.
type pageMeta struct {
	title, site, url string
	published        time.Time
}

// htmlMeta reads <meta>, <link rel=canonical>, <title> and JSON-LD. Meta
// tags win over JSON-LD where both exist; they are what sites curate for
// sharing and are rarely stale.
func htmlMeta(root *html.Node) pageMeta {
	var m pageMeta
	var docTitle, h1, canonical, published string
	var ld []ldArticle
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "meta":
				key := strings.ToLower(attr(n, "property"))
				if key == "" {
					key = strings.ToLower(attr(n, "name"))
				}
				if key == "" {
					key = strings.ToLower(attr(n, "itemprop"))
				}
				val := oneLineText(attr(n, "content"))
				if val == "" {
					break
				}
				switch key {
				case "og:title":
					setOnce(&m.title, val)
				case "og:site_name", "application-name":
					setOnce(&m.site, val)
				case "og:url":
					setOnce(&m.url, val)
				case "article:published_time", "datepublished", "pubdate", "publishdate", "date", "dc.date.issued", "dcterms.issued":
					setOnce(&published, val)
				}
			case "link":
				if strings.EqualFold(attr(n, "rel"), "canonical") {
					setOnce(&canonical, strings.TrimSpace(attr(n, "href")))
				}
			case "title":
				if n.FirstChild != nil && docTitle == "" {
					docTitle = oneLineText(n.FirstChild.Data)
				}
			case "h1":
				if h1 == "" {
					h1 = oneLineText(textOf(n))
				}
			case "script":
				if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
					ld = append(ld, parseJSONLD(n.FirstChild.Data)...)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	setOnce(&m.url, canonical)
	for _, a := range ld {
		setOnce(&m.title, a.Headline)
		setOnce(&m.site, a.publisherName())
		setOnce(&published, a.DatePublished)
		setOnce(&m.url, a.URL)
	}
	setOnce(&m.title, docTitle)
	// The page's own headline element, when nothing names it in metadata.
	setOnce(&m.title, h1)
	if t, ok := parseDate(published); ok {
		m.published = t
	}
	return m
}

// ldArticle is the part of a schema.org Article we read.
type ldArticle struct {
	Type          any    `json:"@type"`
	Headline      string `json:"headline"`
	DatePublished string `json:"datePublished"`
	URL           string `json:"url"`
	Publisher     any    `json:"publisher"`
	Graph         []any  `json:"@graph"`
}

func (a ldArticle) publisherName() string {
	switch p := a.Publisher.(type) {
	case map[string]any:
		s, _ := p["name"].(string)
		return oneLineText(s)
	case []any:
		for _, x := range p {
			if m, ok := x.(map[string]any); ok {
				if s, ok := m["name"].(string); ok && strings.TrimSpace(s) != "" {
					return oneLineText(s)
				}
			}
		}
	case string:
		return oneLineText(p)
	}
	return ""
}

// isArticle: schema.org types that describe a news story or post.
func (a ldArticle) isArticle() bool {
	var types []string
	switch t := a.Type.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				types = append(types, s)
			}
		}
	}
	for _, t := range types {
		if strings.HasSuffix(t, "Article") || strings.HasSuffix(t, "Posting") || t == "Report" {
			return true
		}
	}
	return false
}

// parseJSONLD returns the article objects of a JSON-LD script: a single
// object, an array, or an @graph. Malformed JSON is ignored: metadata is a
// bonus, never a reason to reject an article.
func parseJSONLD(s string) []ldArticle {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<![CDATA["), "]]>")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil
	}
	var out []ldArticle
	var visit func(v any, depth int)
	visit = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				visit(e, depth+1)
			}
		case map[string]any:
			b, _ := json.Marshal(x)
			var a ldArticle
			if json.Unmarshal(b, &a) == nil {
				if a.isArticle() {
					out = append(out, a)
				}
				for _, g := range a.Graph {
					visit(g, depth+1)
				}
			}
		}
	}
	visit(v, 0)
	return out
}

// dateLayouts are the forms dates take in meta tags and front matter.
var dateLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006/01/02", time.RFC1123Z, time.RFC1123,
	"January 2, 2006", "Jan 2, 2006", "2 January 2006", "2 Jan 2006",
}

// parseDate reads a machine-readable date; anything else is no date.
func parseDate(s string) (time.Time, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"'`)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// blockText renders the article node as paragraphs separated by blank
// lines, one paragraph per block element, with whitespace collapsed the way
// a browser shows it. List items become "- " bullets so the chunker keeps
// them whole. Figures' captions and any leftover widgets are left out.
func blockText(n *html.Node) string {
	var paras []string
	var cur strings.Builder
	flush := func() {
		if p := oneLineText(cur.String()); p != "" {
			paras = append(paras, p)
		}
		cur.Reset()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			cur.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "template", "svg", "iframe", "form", "button", "input", "select",
				"textarea", "nav", "aside", "footer", "figcaption", "figure", "img", "video", "audio", "canvas":
				return
			case "br":
				cur.WriteString(" ")
				return
			}
			if style := strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", ""); strings.Contains(style, "display:none") ||
				hasAttr(n, "hidden") {
				return
			}
		}
		block := n.Type == html.ElementNode && blockElements[n.Data]
		if block {
			flush()
			if n.Data == "li" {
				cur.WriteString("- ")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			flush()
		}
	}
	walk(n)
	flush()
	for i, p := range paras {
		if p == "-" {
			paras[i] = ""
		}
	}
	return strings.Join(paras, "\n\n")
}

var blockElements = map[string]bool{
	"p": true, "div": true, "section": true, "article": true, "main": true, "header": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "li": true, "ul": true, "ol": true, "blockquote": true,
	"pre": true, "table": true, "tr": true, "td": true, "th": true, "dl": true, "dt": true, "dd": true, "hr": true,
}

// textOf is the text content of a node.
func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = strings.TrimSpace(v)
	}
}

// oneLineText collapses whitespace (including non-breaking spaces) and
// drops control characters and terminal escapes.
func oneLineText(s string) string { return strings.Join(strings.Fields(StripControls(s)), " ") }

// trimSiteSuffix removes " | Site" or " - Site" that <title> tags append.
func trimSiteSuffix(title, site string) string {
	if site == "" {
		return title
	}
	for _, sep := range []string{" | ", " - ", " – ", " — ", " :: "} {
		if t, ok := strings.CutSuffix(title, sep+site); ok && strings.TrimSpace(t) != "" {
			return strings.TrimSpace(t)
		}
	}
	return title
}

package retrieval

import (
	"strings"
	"unicode"
)

// Cleaned is an article with its web-page chrome removed.
type Cleaned struct {
	Title        string
	TitleDerived bool
	// Body holds the article's paragraphs, each an unchanged line of the
	// source (so quotes stay exact), separated by blank lines.
	Body string
}

// Clean strips the chrome that copy-pasted or scraped web pages carry:
// navigation and section labels before the headline, share/follow widgets,
// bylines without names, copyright and disclaimer notices, "Trending" rails
// and publisher self-descriptions after the story. It works from the shape
// of lines (length, punctuation, position, first-person-plural marketing
// voice) and a short list of generic web labels, not from this corpus.
func Clean(raw string) Cleaned {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	raw = strings.ReplaceAll(raw, "\r", "\n")
	raw = strings.TrimPrefix(raw, "\uFEFF")
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		l = strings.TrimLeftFunc(l, unicode.IsSpace)
		if l == "" || isBoilerplate(l) {
			continue
		}
		lines = append(lines, l)
	}

	// Leading chrome: before the first prose paragraph, short label lines
	// (sections, "Editorial", dates' labels) are navigation. The headline is
	// the first headline-shaped line there.
	firstProse := len(lines)
	for i, l := range lines {
		if isProse(l) {
			firstProse = i
			break
		}
	}
	var c Cleaned
	var body []string
	for i, l := range lines {
		if i < firstProse {
			if c.Title == "" && isHeadline(l) {
				c.Title = strings.TrimSpace(strings.TrimLeft(l, "#"))
			}
			// Everything else before the first paragraph is a label.
			continue
		}
		body = append(body, l)
	}

	// Trailing chrome: walk back over labels, notices and publisher blurbs.
	end := len(body)
	for end > 0 {
		l := body[end-1]
		if isLabel(l) || isPublisherBlurb(l) {
			end--
			continue
		}
		break
	}
	body = body[:end]

	if c.Title == "" {
		c.Title, c.TitleDerived = deriveTitle(body), true
	}
	c.Body = strings.Join(body, "\n\n")
	return c
}

// isProse reports a paragraph of running text: many words and a sentence end.
func isProse(l string) bool {
	if isBullet(l) {
		return true
	}
	n := len(strings.Fields(l))
	return n >= 12 && strings.ContainsAny(l, ".!?")
}

// isHeadline: a short line of several words that is not a sentence.
func isHeadline(l string) bool {
	l = strings.TrimSpace(strings.TrimLeft(l, "#"))
	n := len(strings.Fields(l))
	return n >= 4 && n <= 25 && !strings.HasSuffix(l, ".")
}

// isLabel: a short line without sentence punctuation, such as "Trending".
func isLabel(l string) bool {
	if isBullet(l) {
		return false
	}
	n := len(strings.Fields(l))
	return n <= 3 && !strings.ContainsAny(l, ".!?")
}

func isBullet(l string) bool {
	return strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "• ")
}

// genericLabels are widget and navigation texts found on news sites in
// general. A line that is exactly one of them (ignoring case and
// punctuation) is never article text.
var genericLabels = map[string]bool{
	"connect with us": true, "follow us": true, "share": true, "share this": true, "share this article": true,
	"share on facebook": true, "share on twitter": true, "tweet": true, "email": true, "print": true,
	"advertisement": true, "sponsored": true, "trending": true, "trending now": true, "related": true,
	"related articles": true, "related posts": true, "read more": true, "more stories": true, "subscribe": true,
	"sign up": true, "newsletter": true, "log in": true, "sign in": true, "menu": true, "search": true,
	"home": true, "skip to content": true, "skip to main content": true, "published": true, "published on": true,
	"on": true, "by": true, "updated": true, "comments": true, "leave a comment": true, "editorial": true,
	"you may also like": true, "recommended": true, "most read": true, "popular": true, "latest": true,
	"accept": true, "accept all": true, "close": true, "back to top": true, "loading": true,
}

// isBoilerplate recognises notices that are never story text, wherever they
// stand: copyright lines, legal disclaimers, cookie banners, widget labels.
func isBoilerplate(l string) bool {
	low := strings.ToLower(l)
	key := strings.TrimFunc(low, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if genericLabels[key] {
		return true
	}
	switch {
	case strings.Contains(l, "©"), strings.HasPrefix(low, "copyright "), strings.Contains(low, "all rights reserved"):
		return true
	case strings.Contains(low, "for informational purposes only"), strings.Contains(low, "not be considered professional advice"),
		strings.Contains(low, "we are not responsible for any loss"):
		return true
	case strings.Contains(low, "cookie") && (strings.Contains(low, "accept") || strings.Contains(low, "policy") || strings.Contains(low, "consent")):
		return true
	case strings.HasPrefix(low, "follow us on"), strings.HasPrefix(low, "share this"), strings.HasPrefix(low, "sign up for"),
		strings.HasPrefix(low, "subscribe to"), strings.HasPrefix(low, "click here"):
		return true
	}
	return false
}

// isPublisherBlurb spots the "about us" paragraph that sites append: text in
// the publisher's first-person-plural marketing voice ("Our team … we …").
// News prose quotes "we" too, so it takes a high density of such words.
func isPublisherBlurb(l string) bool {
	words := strings.FieldsFunc(l, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) == 0 {
		return false
	}
	n := 0
	for _, w := range words {
		// "US" in capitals is the country, not the publisher.
		switch strings.ToLower(w) {
		case "we", "our", "ours", "ourselves":
			n++
		case "us":
			if w == "us" {
				n++
			}
		}
	}
	// A quoted statement in news starts with a quotation mark; blurbs don't.
	if strings.ContainsAny(l, "“\"") {
		return false
	}
	return n >= 3 && float64(n)/float64(len(words)) >= 0.04
}

// deriveTitle makes a title from the first sentence when the file has no
// headline, shortened at a word boundary.
func deriveTitle(body []string) string {
	if len(body) == 0 {
		return "Untitled"
	}
	first := SplitSentences(strings.TrimSpace(body[0]))
	s := body[0]
	if len(first) > 0 {
		s = first[0]
	}
	s = strings.TrimRight(s, ".!? ")
	words := strings.Fields(s)
	const max = 12
	if len(words) <= max {
		return s
	}
	words = words[:max]
	// Don't end a shortened title on "a", "the", "of"…
	for len(words) > 1 && IsStopWord(strings.ToLower(strings.Trim(words[len(words)-1], ",;:"))) {
		words = words[:len(words)-1]
	}
	return strings.TrimRight(strings.Join(words, " "), ",;:") + "…"
}

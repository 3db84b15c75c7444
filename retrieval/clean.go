package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
// bylines and datelines, copyright and disclaimer notices, "Trending" rails
// and publisher self-descriptions after the story. A line is chrome because
// of what it says (a known web label, a notice, a byline, a date, the
// publisher's marketing voice) or because it stands above the headline,
// never because it is short: "Negotiators agreed a ceasefire on Tuesday."
// is article text wherever it stands.
func Clean(raw string) Cleaned { return clean(raw, "") }

// clean is Clean for a page whose title is already known (from front
// matter, a Markdown heading or HTML metadata). Then no body line is taken
// for the title, except a repeat of that title at the top.
func clean(raw, knownTitle string) Cleaned {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	raw = strings.ReplaceAll(raw, "\r", "\n")
	raw = strings.TrimPrefix(raw, "\uFEFF")
	var lines []string
	inRail := false
	for _, l := range strings.Split(raw, "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		l = strings.TrimLeftFunc(l, unicode.IsSpace)
		if l == "" {
			continue
		}
		if isRailHeader(l) {
			// "Related topics", "Most read": the headlines and tags listed
			// under it are other pages' links, up to the next sentence.
			inRail = true
			continue
		}
		if isBoilerplate(l) || inRail && (isTitleLike(l) || isNavLabel(l) || isDateline(l)) {
			continue
		}
		inRail = false
		lines = append(lines, l)
	}

	// Leading chrome: before the story's first sentence stand navigation,
	// section labels, the headline, bylines and datelines. Lines that read
	// as a title (one unfinished sentence, not a list item) are the
	// candidates for the headline.
	lead := 0
	var cands []int
scan:
	for ; lead < len(lines); lead++ {
		switch l := lines[lead]; {
		case isNavLabel(l) || isByline(l) || isDateline(l):
		case isTitleLike(l):
			cands = append(cands, lead)
		default:
			break scan
		}
	}
	var c Cleaned
	var body []string
	title := -1
	if knownTitle != "" {
		for _, i := range cands {
			if sameTitle(lines[i], knownTitle) {
				title = i
				break
			}
		}
	} else if len(cands) > 0 {
		// The headline is the first candidate of several words; a lone
		// short one ("Ceasefire agreed") is a headline too.
		title = cands[0]
		for _, i := range cands {
			if len(strings.Fields(lines[i])) >= 4 {
				title = i
				break
			}
		}
		c.Title = strings.TrimSpace(strings.TrimLeft(lines[title], "#"))
	}
	for _, i := range cands {
		// Above the headline stand kickers and navigation; below it, a
		// standfirst is the story's own text.
		if i > title {
			body = append(body, lines[i])
		}
	}
	body = append(body, lines[lead:]...)

	// Trailing chrome: walk back over labels, notices and publisher blurbs.
	end := len(body)
	for end > 0 {
		l := body[end-1]
		if isNavLabel(l) || isByline(l) || isDateline(l) || isPublisherBlurb(l) {
			end--
			continue
		}
		break
	}
	body = body[:end]

	if len(body) == 0 && title >= 0 && knownTitle == "" {
		// A file that is only a short line is that line, not chrome.
		body = []string{lines[title]}
	}
	if c.Title == "" && knownTitle == "" {
		c.Title, c.TitleDerived = deriveTitle(body), true
	}
	c.Body = strings.Join(body, "\n\n")
	return c
}

// isTitleLike: a line that reads as a headline rather than running text:
// not a list item, not ended by a full stop, at most one sentence and not
// paragraph-long.
func isTitleLike(l string) bool {
	if isBullet(l) {
		return false
	}
	t := strings.TrimRight(strings.TrimSpace(strings.TrimLeft(l, "#")), "\"'”’)]")
	// A line ended by a full stop, or leading into the next (":", ","),
	// is running text.
	if t == "" || strings.HasSuffix(t, ".") || strings.HasSuffix(t, "…") || strings.ContainsAny(t[len(t)-1:], ":,;") {
		return false
	}
	// Headlines start with a capital (or a digit, a quote, a script
	// without case); "title: not metadata" is a stray field, not a title.
	if r, _ := utf8.DecodeRuneInString(t); unicode.IsLower(r) {
		return false
	}
	return len(strings.Fields(t)) <= 25 && len(SplitSentences(t)) <= 1
}

// sameTitle: a line is the known title, give or take case, punctuation and
// a site name appended to one of them.
func sameTitle(line, title string) bool {
	norm := func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}), " ")
	}
	a, b := norm(line), norm(title)
	return a != "" && b != "" && (a == b || strings.HasPrefix(a, b+" ") || strings.HasPrefix(b, a+" "))
}

func isBullet(l string) bool {
	return strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "• ")
}

// sectionLabels are the section and breadcrumb names news sites put in
// their navigation. Only a line that is nothing but such names is a label:
// "Europe" is navigation, "Europe agreed a new plan" is not.
var sectionLabels = map[string]bool{
	"world": true, "news": true, "politics": true, "business": true, "economy": true, "markets": true, "money": true,
	"europe": true, "asia": true, "africa": true, "americas": true, "middle east": true, "us": true, "uk": true,
	"us news": true, "uk news": true, "world news": true, "local": true, "national": true, "international": true,
	"opinion": true, "analysis": true, "sport": true, "sports": true, "tech": true, "technology": true,
	"science": true, "health": true, "culture": true, "arts": true, "entertainment": true, "lifestyle": true,
	"travel": true, "climate": true, "environment": true, "breaking": true, "breaking news": true, "live": true,
	"video": true, "videos": true, "photos": true, "podcasts": true, "explainer": true, "exclusive": true,
	"features": true, "feature": true, "top stories": true, "latest news": true, "news desk": true,
}

// isNavLabel: a line made only of section names, possibly as a breadcrumb
// ("World › Europe", "Home | Politics").
func isNavLabel(l string) bool {
	parts := strings.FieldsFunc(strings.ToLower(l), func(r rune) bool {
		return strings.ContainsRune("›»>/|•·–—:", r)
	})
	if len(parts) == 0 {
		return false
	}
	for _, p := range parts {
		p = strings.TrimFunc(p, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if p != "" && !sectionLabels[p] && !genericLabels[p] {
			return false
		}
	}
	return true
}

// isByline: "By Jane Doe", "By Jane Doe and John Roe, Reuters": "By"
// followed by names, not a sentence.
func isByline(l string) bool {
	rest, ok := strings.CutPrefix(l, "By ")
	if !ok {
		rest, ok = strings.CutPrefix(l, "BY ")
	}
	if !ok || strings.ContainsAny(rest, "!?") || strings.HasSuffix(rest, ".") && !isInitial(rest) {
		return false
	}
	words := strings.Fields(strings.NewReplacer(",", " ", "|", " ", "&", " ").Replace(rest))
	if len(words) == 0 || len(words) > 8 {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && w != "and" && w != "in" && w != "for" && w != "de" && w != "van" && w != "von" {
			return false
		}
	}
	return true
}

// isInitial: the line ends in a name's initial or "Jr.", not a full stop.
func isInitial(s string) bool {
	f := strings.Fields(s)
	last := f[len(f)-1]
	return len([]rune(last)) <= 3
}

// dateWords are the words a dateline is made of besides numbers.
var dateWords = map[string]bool{
	"published": true, "updated": true, "posted": true, "last": true, "on": true, "at": true, "am": true, "pm": true,
	"gmt": true, "utc": true, "bst": true, "cet": true, "cest": true, "est": true, "edt": true, "et": true, "pt": true,
	"ago": true, "min": true, "mins": true, "minute": true, "minutes": true, "hour": true, "hours": true, "hr": true,
	"hrs": true, "day": true, "days": true, "read": true, "week": true, "weeks": true, "month": true, "months": true,
	"year": true, "years": true, "yesterday": true, "today": true, "st": true, "nd": true, "rd": true, "th": true,
	"jan": true, "january": true, "feb": true, "february": true, "mar": true, "march": true, "apr": true,
	"april": true, "may": true, "jun": true, "june": true, "jul": true, "july": true, "aug": true, "august": true,
	"sep": true, "sept": true, "september": true, "oct": true, "october": true, "nov": true, "november": true,
	"dec": true, "december": true, "mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednesday": true, "thu": true, "thurs": true, "thursday": true, "fri": true, "friday": true,
	"sat": true, "saturday": true, "sun": true, "sunday": true,
}

// isDateline: a line that only states when the story was published or how
// long it takes to read ("Published on 16 December 2025, 17:40 GMT",
// "5 min read"). It must hold a number: "Tuesday" alone is not a date.
func isDateline(l string) bool {
	words := strings.FieldsFunc(strings.ToLower(l), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	digits := false
	for _, w := range words {
		switch {
		case strings.IndexFunc(w, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
			digits = true
		case strings.TrimLeftFunc(w, unicode.IsDigit) != w && dateWords[strings.TrimLeftFunc(w, unicode.IsDigit)]:
			digits = true // "16th", "5min"
		case !dateWords[w]:
			return false
		}
	}
	return digits
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
	"save": true, "listen": true, "listen to this article": true, "watch": true, "copy link": true, "link copied": true,
	"facebook": true, "twitter": true, "x": true, "linkedin": true, "whatsapp": true, "reddit": true, "telegram": true,
	"pinterest": true, "bookmark": true, "image caption": true, "image source": true, "getty images": true,
	"related stories": true, "related topics": true, "more on this story": true, "top stories": true,
}

// railHeaders head lists of links to other stories or topics.
var railHeaders = map[string]bool{
	"trending": true, "trending now": true, "related": true, "related articles": true, "related posts": true,
	"related stories": true, "related topics": true, "related coverage": true, "read more": true,
	"more stories": true, "more on this story": true, "more from": true, "you may also like": true,
	"recommended": true, "recommended for you": true, "most read": true, "most popular": true, "popular": true,
	"latest": true, "latest stories": true, "see also": true, "topics": true, "tags": true, "top stories": true,
}

// isRailHeader: a line that is only such a heading.
func isRailHeader(l string) bool {
	return railHeaders[strings.TrimFunc(strings.ToLower(l), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })]
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
	// Made from a sentence when there is one: a stray label line at the
	// top would make a poor title.
	para := body[0]
	for _, p := range body {
		if t := strings.TrimRight(p, "\"'”’)]"); strings.HasSuffix(t, ".") || strings.HasSuffix(t, "!") || strings.HasSuffix(t, "?") {
			para = p
			break
		}
	}
	first := SplitSentences(strings.TrimSpace(para))
	s := para
	if len(first) > 0 {
		s = first[0]
	}
	s = strings.TrimRight(s, ".!? ")
	if s == "" {
		// The first "sentence" was only punctuation ("! A"): use the
		// paragraph as it stands rather than no title at all.
		s = strings.TrimSpace(para)
	}
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

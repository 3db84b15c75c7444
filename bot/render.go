package bot

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/net/idna"

	"github.com/talkbot/talkbot/answer"
)

// Discord's message limits (characters are counted as code points).
const (
	maxContent     = 2000
	maxDescription = 4096
	maxFieldValue  = 1024
	maxEmbedTotal  = 6000
	maxFields      = 25
	maxTitle       = 256
	maxEmbeds      = 10
	maxChoiceName  = 100

	// Room left under each limit for markers such as "(continued)".
	slack = 32
)

const (
	answerColor  = 0x3b82f6
	sourcesField = "Sources"
	titleQuote   = 80  // runes of a title in the Sources field
	shortQuote   = 160 // runes of a quote in the Sources field
)

// part is one Discord message of a possibly split answer.
type part struct {
	Content string
	Embeds  []*discordgo.MessageEmbed
}

// noMentions allows nothing to be pinged: generated text can contain
// "@everyone" or "<@id>" and must never notify anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// renderAnswer turns an answer into messages within Discord's limits: an
// embed whose description is the text with [n] markers, a Sources field and
// a footer with the mode and time taken. "Not found" answers are plain text.
func renderAnswer(a answer.Answer, took time.Duration) []part {
	if !a.Found {
		var parts []part
		for _, c := range splitText(a.Text, maxContent-slack) {
			parts = append(parts, part{Content: c})
		}
		if len(parts) == 0 {
			parts = []part{{Content: answer.NotFoundText}}
		}
		return parts
	}
	var embeds []*discordgo.MessageEmbed
	for _, chunk := range splitText(escapeAnswer(a.Text), maxDescription-slack) {
		embeds = append(embeds, &discordgo.MessageEmbed{Description: chunk, Color: answerColor})
	}
	if len(embeds) == 0 {
		embeds = []*discordgo.MessageEmbed{{Description: "\u200b", Color: answerColor}}
	}
	embeds[0].Title = truncate(escape(a.Question), maxTitle)

	footer := footerText(a, took)
	reserve := utf8.RuneCountInString(footer)
	last := embeds[len(embeds)-1]
	for i, value := range sourceFields(a.Citations) {
		name := sourcesField
		if i > 0 {
			name = sourcesField + " (continued)"
		}
		f := &discordgo.MessageEmbedField{Name: name, Value: value}
		size := utf8.RuneCountInString(name) + utf8.RuneCountInString(value)
		if len(last.Fields) >= maxFields || embedSize(last)+size+reserve > maxEmbedTotal {
			last = &discordgo.MessageEmbed{Color: answerColor}
			embeds = append(embeds, last)
		}
		last.Fields = append(last.Fields, f)
	}
	last.Footer = &discordgo.MessageEmbedFooter{Text: footer}
	return packEmbeds(embeds)
}

// footerText names the mode and the time taken, plus any note about a
// degraded answer.
func footerText(a answer.Answer, took time.Duration) string {
	mode := a.Mode
	if a.Model != "" {
		mode += " (" + a.Model + ")"
	}
	s := fmt.Sprintf("%s · %.2f s", mode, took.Seconds())
	if a.Note != "" {
		s += " · " + a.Note
	}
	return truncate(s, 1024)
}

// sourceFields lists "[n] title — “quote”" lines, packed into field values
// of at most maxFieldValue runes.
func sourceFields(cs []answer.Citation) []string {
	var out []string
	var cur strings.Builder
	for _, c := range cs {
		line := fmt.Sprintf("[%d] %s — “%s”", c.N, escape(truncate(oneLine(c.Title), titleQuote)),
			escape(truncate(oneLine(c.Quote), shortQuote)))
		line = truncate(line, maxFieldValue)
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(line) > maxFieldValue {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// embedSize counts what Discord counts towards the 6000-character total.
func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

// packEmbeds groups embeds into messages of at most 10 embeds and 6000
// characters.
func packEmbeds(embeds []*discordgo.MessageEmbed) []part {
	var parts []part
	var cur part
	size := 0
	for _, e := range embeds {
		n := embedSize(e)
		if len(cur.Embeds) > 0 && (len(cur.Embeds) >= maxEmbeds || size+n > maxEmbedTotal) {
			parts = append(parts, cur)
			cur, size = part{}, 0
		}
		cur.Embeds = append(cur.Embeds, e)
		size += n
	}
	if len(cur.Embeds) > 0 {
		parts = append(parts, cur)
	}
	return parts
}

// previewEmbed shows text still being written (LLM streaming).
func previewEmbed(question, text string) *discordgo.MessageEmbed {
	desc := escapeAnswer(text)
	if utf8.RuneCountInString(desc) > maxDescription-slack {
		// Show the start; the final answer is split properly.
		desc = truncate(desc, maxDescription-slack)
	} else {
		desc += " …"
	}
	return &discordgo.MessageEmbed{Title: truncate(escape(question), maxTitle), Description: desc,
		Color: answerColor, Footer: &discordgo.MessageEmbedFooter{Text: "writing…"}}
}

// splitText cuts s into pieces of at most max runes, preferring paragraph,
// line, sentence and then word boundaries, so a long answer continues
// cleanly in the next message. Whitespace at the cuts is dropped.
func splitText(s string, max int) []string {
	s = strings.TrimSpace(s)
	var out []string
	for s != "" {
		if utf8.RuneCountInString(s) <= max {
			out = append(out, s)
			break
		}
		cut := cutPoint(s, max)
		head := strings.TrimRightFunc(s[:cut], unicode.IsSpace)
		if head == "" { // only whitespace before the cut; cannot happen after TrimSpace, but never loop
			head = s[:cut]
		}
		out = append(out, head)
		s = strings.TrimLeftFunc(s[cut:], unicode.IsSpace)
	}
	return out
}

// cutPoint is the byte offset to cut s at so the head has at most max runes.
func cutPoint(s string, max int) int {
	limit := 0 // byte offset just after the max-th rune
	for i := range s {
		if max == 0 {
			limit = i
			break
		}
		max--
	}
	window := s[:limit]
	// A boundary in the first quarter would make a tiny piece; use the next
	// kind of boundary instead.
	minCut := limit / 4
	for _, sep := range []string{"\n\n", "\n"} {
		if i := strings.LastIndex(window, sep); i > minCut {
			return i + len(sep)
		}
	}
	if i := lastSentenceEnd(window); i > minCut {
		return i
	}
	if i := strings.LastIndexFunc(window, unicode.IsSpace); i > minCut {
		return i + 1
	}
	return limit
}

// lastSentenceEnd is the offset after the last ". ", "! " or "? " (closing
// quotes and citation markers such as " [2]" stay with their sentence).
func lastSentenceEnd(s string) int {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] != ' ' {
			continue
		}
		j := i
		// Keep a citation marker with the sentence it ends: "… talks. [2] Next".
		prev := strings.TrimRight(s[:j], " ")
		if strings.HasSuffix(prev, "]") {
			if k := strings.LastIndexByte(prev, '['); k >= 0 && isDigits(prev[k+1:len(prev)-1]) {
				prev = strings.TrimRight(prev[:k], " ")
			}
		}
		prev = strings.TrimRight(prev, "\"'”’)")
		if prev != "" && strings.ContainsRune(".!?", rune(prev[len(prev)-1])) {
			return i + 1
		}
	}
	return -1
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// truncate shortens s to at most max runes, ending with "…" at a word
// boundary when it can.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 1 {
		return string([]rune(s)[:max])
	}
	r := []rune(s)[:max-1]
	cut := string(r)
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > len(cut)*2/3 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, unicode.IsSpace) + "…"
}

// oneLine collapses whitespace, for titles and quotes in one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// markdownChars are escaped in article and user text: they are data, and
// must not become formatting, masked links, headings or mention syntax.
const markdownChars = "\\*_~`|>[]<#"

// needsEscape reports whether r at this position would be markdown; '#'
// (heading) and '>' (quote) only are at the start of a line.
func needsEscape(r rune, lineStart bool) bool {
	if r == '#' || r == '>' {
		return lineStart
	}
	return strings.ContainsRune(markdownChars, r)
}

// escape makes text show literally in Discord markdown.
func escape(s string) string {
	var b strings.Builder
	lineStart := true
	for _, r := range s {
		if needsEscape(r, lineStart) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		lineStart = r == '\n' || (lineStart && r == ' ')
	}
	return b.String()
}

// escapeAnswer escapes like escape but keeps citation markers [n] and
// list bullets working.
func escapeAnswer(s string) string {
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(s); {
		if s[i] == '[' {
			if j := strings.IndexByte(s[i:], ']'); j > 1 && isDigits(s[i+1:i+j]) {
				b.WriteString(s[i : i+j+1])
				i += j + 1
				lineStart = false
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, lineStart) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		lineStart = r == '\n' || (lineStart && r == ' ')
		i += n
	}
	return b.String()
}

// unescape undoes escape, for reading an earlier answer back as history.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(markdownChars, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// maxEmbedURL is the spec's maxLength for an embed's url.
const maxEmbedURL = 2048

// embedURL makes an article's URL one Discord accepts as an embed url
// (format uri, RFC 3986): the host in IDNA ASCII form, spaces, non-ASCII
// and other characters a URI cannot hold percent-encoded. It returns ""
// for what cannot be made a valid http(s) URL, so the embed goes without
// a link rather than Discord refusing the whole message.
func embedURL(raw string) string {
	raw = strings.TrimSpace(raw)
	scheme, rest, found := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	if !found || (scheme != "http" && scheme != "https") {
		return ""
	}
	authority, tail := rest, ""
	if k := strings.IndexAny(rest, "/?#"); k >= 0 {
		authority, tail = rest[:k], rest[k:]
	}
	if strings.Contains(authority, "@") {
		return "" // credentials have no place in a public link
	}
	host, port := authority, ""
	if k := strings.LastIndexByte(authority, ':'); k >= 0 && !strings.Contains(authority[k:], "]") {
		host, port = authority[:k], authority[k+1:]
		if !isDigits(port) {
			return ""
		}
		port = ":" + port
	}
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") || strings.ContainsAny(host[1:len(host)-1], "[]/ ") {
			return ""
		}
	} else {
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil || ascii == "" {
			return ""
		}
		host = ascii
	}
	var b strings.Builder
	b.WriteString(scheme + "://" + host + port)
	// Path, then query, then fragment, each with the characters it may
	// hold literally; "?" and "#" end the path, the first "#" the query.
	part, allowed := 0, uriPath
	for i := 0; i < len(tail); i++ {
		c := tail[i]
		switch {
		case c == '?' && part == 0:
			part, allowed = 1, uriQuery
			b.WriteByte(c)
		case c == '#' && part < 2:
			part, allowed = 2, uriQuery
			b.WriteByte(c)
		case c == '%' && i+2 < len(tail) && isHexByte(tail[i+1]) && isHexByte(tail[i+2]):
			b.WriteString(tail[i : i+3])
			i += 2
		case strings.IndexByte(allowed, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	out := b.String()
	if len(out) > maxEmbedURL {
		return ""
	}
	if u, err := url.Parse(out); err != nil || u.Host == "" {
		return ""
	}
	return out
}

// Characters RFC 3986 allows literally in a path, and in a query or
// fragment (which may also hold "?" and "/"; "#" only once, handled above).
const (
	uriPath  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
	uriQuery = uriPath + "?"
)

func isHexByte(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

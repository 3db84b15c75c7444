package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitSentences splits a paragraph into sentences, each an exact substring
// of the input (trimmed), so a quote can always be found in the source.
// It does not split after abbreviations ("Mr.", "U.S."), initials, or inside
// numbers ("19.3"), and keeps closing quotes with their sentence.
func SplitSentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		if r != '.' && r != '!' && r != '?' {
			i += size
			continue
		}
		end := i + size
		// Swallow further terminators and closing quotes/brackets: ?!" ." .)
		for end < len(p) {
			r2, s2 := utf8.DecodeRuneInString(p[end:])
			if strings.ContainsRune(".!?\"”’')]", r2) {
				end += s2
				continue
			}
			break
		}
		if end < len(p) {
			next, _ := utf8.DecodeRuneInString(p[end:])
			if !unicode.IsSpace(next) {
				i = end
				continue
			}
		}
		// Look at what follows the whitespace: a new sentence starts upper case,
		// with a digit or an opening quote.
		j := end
		for j < len(p) {
			r3, s3 := utf8.DecodeRuneInString(p[j:])
			if !unicode.IsSpace(r3) {
				break
			}
			j += s3
		}
		if j < len(p) {
			next, _ := utf8.DecodeRuneInString(p[j:])
			if !(unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune("\"“‘'(", next)) {
				i = end
				continue
			}
		}
		if r == '.' && isAbbreviation(p[start:i]) {
			i = end
			continue
		}
		if s := strings.TrimSpace(p[start:end]); s != "" {
			out = append(out, s)
		}
		start = j
		i = j
	}
	if s := strings.TrimSpace(p[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// isAbbreviation reports whether text (which ends just before a period)
// ends in a word that is usually abbreviated, so the period is not a
// sentence end.
func isAbbreviation(text string) bool {
	// Only the last word matters; bound the look-back so long runs of
	// periods stay linear.
	if len(text) > 32 {
		cut := len(text) - 32
		for cut < len(text) && !utf8.RuneStart(text[cut]) {
			cut++
		}
		text = text[cut:]
	}
	k := strings.LastIndexFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == '"' || r == '“' })
	w := text[k+1:]
	if k >= 0 {
		_, sz := utf8.DecodeRuneInString(text[k:])
		w = text[k+sz:]
	}
	if w == "" {
		return false
	}
	// Initials and dotted abbreviations: "J", "U.S", "e.g".
	if utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(w)[0]) {
		return true
	}
	if strings.Contains(w, ".") && len(w) <= 6 {
		return true
	}
	switch strings.ToLower(w) {
	case "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "gov", "sen", "rep", "lt", "col", "capt",
		"sgt", "maj", "adm", "vs", "etc", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
		"oct", "nov", "dec", "inc", "corp", "ltd", "co", "approx", "fig", "dept", "est", "mt":
		return true
	}
	return false
}

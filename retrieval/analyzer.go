package retrieval

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// Analyze turns text into the normalised terms shared by BM25, the offline
// embedder and the answerer's sentence scoring, so all three agree on what a
// "word" is: case-folded, stop words removed, Snowball-stemmed. Numbers are
// kept whole ("19.3", "2024") because figures are often the answer.
func Analyze(text string) []string { return analyzeWords(Words(text), Stem) }

// analyzeWords is Analyze after tokenising, with the stemmer passed in so
// the index can use a cached one.
func analyzeWords(words []string, stem func(string) string) []string {
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		if i+1 < len(words) {
			// Spelled-out names meet their acronyms ("European Union" = "EU").
			if a, ok := acronym(w, words[i+1]); ok {
				out = append(out, a)
				i++
				continue
			}
		}
		if IsStopWord(w) {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// acronym maps a two-word name to the acronym news text also uses for it.
func acronym(a, b string) (string, bool) {
	switch a + " " + b {
	case "united states":
		return "us", true
	case "european union":
		return "eu", true
	case "united kingdom":
		return "uk", true
	case "united nations":
		return "un", true
	}
	return "", false
}

// Words splits text into lower-case word tokens without removing stop words.
// A possessive "’s" is dropped ("Ukraine’s" → "ukraine"), hyphens split
// ("five-hour" → "five", "hour"), and decimal points inside numbers stay.
func Words(text string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(foldRune(r)))
		case (r == '.' || r == ',') && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]):
			if r == '.' { // 19.3 stays one token; 19,000 becomes 19000
				b.WriteRune('.')
			}
		case (r == '\'' || r == '’') && b.Len() > 0 && i+1 < len(rs) && (rs[i+1] == 's' || rs[i+1] == 'S') &&
			(i+2 >= len(rs) || !unicode.IsLetter(rs[i+2])):
			flush()
			i++ // skip the possessive s
		case (r == '\'' || r == '’') && b.Len() > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]):
			// Contractions ("doesn't") stay one word.
		default:
			flush()
		}
	}
	flush()
	return words
}

// foldRune maps common accented Latin letters to ASCII so typed variants meet.
func foldRune(r rune) rune {
	if r < 0x80 {
		return r
	}
	switch r {
	case 'á', 'à', 'â', 'ä', 'ã', 'Á', 'À', 'Â', 'Ä':
		return 'a'
	case 'é', 'è', 'ê', 'ë', 'É', 'È':
		return 'e'
	case 'í', 'ì', 'î', 'ï':
		return 'i'
	case 'ó', 'ò', 'ô', 'ö', 'õ', 'Ö':
		return 'o'
	case 'ú', 'ù', 'û', 'ü', 'Ü':
		return 'u'
	case 'ç':
		return 'c'
	case 'ñ':
		return 'n'
	}
	return r
}

// Stem returns the Snowball stem of one lower-case word; numbers and a few
// spelling variants are normalised first.
func Stem(w string) string {
	if w == "" {
		return w
	}
	if c := w[0]; c >= '0' && c <= '9' {
		return w
	}
	switch w { // transliteration variants readers treat as one name
	case "zelenskyy", "zelensky", "zelenskiy":
		return "zelenski"
	case "usa", "america", "american", "americans":
		return "us"
	case "met": // common irregular past tenses Snowball leaves alone
		return "meet"
	case "held":
		return "hold"
	case "took", "taken":
		return "take"
	case "gave", "given":
		return "give"
	case "left":
		return "leav"
	case "sent":
		return "send"
	case "began", "begun":
		return "begin"
	case "spoke", "spoken":
		return "speak"
	case "russian", "russians": // demonyms meet their country
		return "russia"
	case "ukrainian", "ukrainians":
		return "ukrain"
	}
	return english.Stem(w, false)
}

// IsStopWord reports whether w (lower case) carries no topical meaning.
// "us" is not a stop word: in news text it is usually the country.
func IsStopWord(w string) bool {
	switch w {
	case "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren", "as",
		"at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "cannot",
		"could", "couldn", "did", "didn", "do", "does", "doesn", "doing", "don", "down", "during", "each", "few",
		"for", "from", "further", "had", "hadn", "has", "hasn", "have", "haven", "having", "he", "her", "here",
		"hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "isn", "it", "its",
		"itself", "me", "more", "most", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only",
		"or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some",
		"such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
		"this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "wasn", "we", "were",
		"weren", "what", "when", "where", "which", "while", "who", "whom", "why", "with", "won", "would",
		"wouldn", "you", "your", "yours", "yourself", "also", "s", "t", "just", "will", "say", "said", "says",
		"tell", "much", "many", "long", "get":
		return true
	}
	return false
}

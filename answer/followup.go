package answer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/talkbot/talkbot/retrieval"
)

// maxSubjectWords bounds the subject carried along a conversation: enough
// for "Russia Donbas Putin", small enough that an old turn cannot
// crowd a new question out of the search.
const maxSubjectWords = 6

// TrackSubject returns history (oldest first) with each follow-up question
// made standalone: a turn that leans on the earlier ones ("why?", "what did
// Putin say about that") gets the conversation's subject appended in
// parentheses. The subject is tracked over the whole chain, not only the
// previous turn, so "why?" after an answer about Donbas stays about Donbas
// and the next "what did putin say about that" keeps the topic. Both the
// offline carry-over and an LLM's rewrite read these standalone questions.
// history itself is not modified.
func TrackSubject(history []Turn) []Turn {
	out := make([]Turn, len(history))
	var subject []string
	for k, t := range history {
		out[k] = t
		var q string
		q, subject = resolveTurn(subject, t.Question)
		out[k].Question = q
	}
	return out
}

// resolveTurn returns question made standalone against the subject so far,
// and the subject after it.
func resolveTurn(subject []string, question string) (string, []string) {
	own := subjectWords(question)
	if smallTalk(question) {
		return question, subject // "thanks!": nothing to search for, keep the subject
	}
	if len(subject) == 0 || !leansOnEarlier(question) {
		if len(own) == 0 {
			return question, subject
		}
		return question, bound(own)
	}
	merged := bound(appendNew(append([]string(nil), subject...), own))
	extra := missing(subject, question)
	if len(extra) == 0 {
		return question, merged
	}
	return question + " (" + strings.Join(extra, " ") + ")", merged
}

// leansOnEarlier reports whether a question needs the conversation to be
// understood: it refers back ("that", "they"), continues ("and …", "what
// about …") or has too little of its own to search for ("why?").
func leansOnEarlier(q string) bool {
	words := retrieval.Words(q)
	for _, w := range words {
		switch w {
		case "it", "that", "this", "they", "them", "he", "she", "him", "her", "there", "those", "these", "its", "their":
			return true
		}
	}
	if len(words) > 0 && (words[0] == "and" || words[0] == "so" || words[0] == "but" ||
		words[0] == "what" && len(words) > 1 && words[1] == "about") {
		return true
	}
	return len(retrieval.Analyze(q)) < 2
}

// smallTalk reports whether q is only thanks or acknowledgement.
func smallTalk(q string) bool {
	words := retrieval.Words(q)
	for _, w := range words {
		switch w {
		case "thanks", "thank", "thx", "ty", "ok", "okay", "cool", "great", "nice", "got", "you", "it", "lol", "wow", "yes", "no", "sure":
		default:
			return false
		}
	}
	return len(words) > 0
}

// subjectWords is what q is about, as it was written, in order, without
// repeats: its names and places (capitalised words) when it has any, since
// those are what follow-ups refer back to and what the articles index
// best; otherwise all its words that carry meaning. Carrying only the
// names keeps a follow-up's own words ("what did putin say") from being
// outweighed by the subject in the search.
func subjectWords(q string) []string {
	var names, content []string
	seen := map[string]bool{}
	for _, tok := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		low := strings.ToLower(tok)
		if seen[low] || retrieval.IsStopWord(low) || len(retrieval.Analyze(low)) == 0 {
			continue
		}
		seen[low] = true
		content = append(content, tok)
		if r, _ := utf8.DecodeRuneInString(tok); unicode.IsUpper(r) {
			names = append(names, tok)
		}
	}
	if len(names) > 0 {
		return names
	}
	return content
}

// appendNew appends the words of add not yet in list (ignoring case).
func appendNew(list, add []string) []string {
	for _, w := range add {
		if !containsFold(list, w) {
			list = append(list, w)
		}
	}
	return list
}

// missing lists the subject words the question does not already contain.
func missing(subject []string, question string) []string {
	have := retrieval.Words(question)
	var out []string
	for _, w := range subject {
		if !contains(have, strings.ToLower(w)) {
			out = append(out, w)
		}
	}
	return out
}

func containsFold(list []string, w string) bool {
	for _, x := range list {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}

func contains(list []string, w string) bool {
	for _, x := range list {
		if x == w {
			return true
		}
	}
	return false
}

// bound keeps the first words: the subject a conversation started with
// is what its follow-ups refer back to.
func bound(words []string) []string {
	if len(words) > maxSubjectWords {
		return words[:maxSubjectWords]
	}
	return words
}

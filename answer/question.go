package answer

import (
	"regexp"
	"slices"
	"strings"

	"github.com/talkbot/talkbot/retrieval"
)

// Question understanding for the offline answerer: what kind of fact a
// question asks for, which of its words are content (not the question's
// frame, not chat filler), and which noun an answer must be about.

// answerType is the kind of fact a question asks for.
type answerType int

const (
	typeAny answerType = iota
	typePerson
	typePlace
	typeName // "which sea", "what app": a proper name
	typeDate
	typeNumber
	typeDuration
	typeReason
	typeQuote // "what did Trump say": words attributed to someone
)

func (t answerType) String() string {
	return [...]string{"any", "person", "place", "name", "date", "number", "duration", "reason", "quote"}[t]
}

// question is a question read for answering.
type question struct {
	raw   string
	typ   answerType
	words []word // content words
	// focus are the content words an answer must cover: what "how many"
	// counts, the noun a "which X of" asks about.
	focus []word
	// summary asks for an overview ("tl;dr", "what happened in X");
	// greeting is "hi" or "help".
	summary, greeting bool
	// speakers are the stems of whoever a quote question asks about.
	speakers []string
	// figures the question states.
	figures []figure
	// count: "how many" asks for a count, which a share or an ordinal
	// does not answer; partitive: "how many of the kids", whose answer
	// may leave the kids unsaid ("6,000 have been placed").
	count, partitive bool
	// share: "how much of X" asks for a share (a percentage, a fraction).
	share bool
}

// chatWords are words people type in chat that carry no topic: fillers,
// abbreviations, politeness. Unknown words count for nothing anyway; these
// are also dropped when the lexicon happens to know them ("like", "rn").
var chatWords = map[string]bool{
	"rn": true, "pls": true, "plz": true, "please": true, "gonna": true, "wanna": true, "gotta": true, "u": true,
	"ur": true, "lol": true, "lmao": true, "bruh": true, "idk": true, "btw": true, "imo": true, "tbh": true,
	"hey": true, "yo": true, "ya": true, "yall": true, "like": true, "actually": true, "exactly": true,
	"even": true, "really": true, "anyone": true, "anybody": true, "know": true, "tell": true, "guys": true,
	"wait": true, "um": true, "uh": true, "hmm": true, "thing": true, "things": true, "stuff": true, "bot": true,
	"ok": true, "okay": true, "k": true, "thx": true, "thanks": true, "ty": true, "now": true, "currently": true,
	"right": true, "tho": true, "though": true, "kinda": true, "sorta": true, "basically": true,
	"r": true, "n": true, "whats": true, "whos": true, "wheres": true, "hows": true, "whens": true, "wat": true,
	"wut": true, "dont": true, "doesnt": true, "didnt": true, "isnt": true, "arent": true, "cant": true,
	"someone": true, "somebody": true, "explain": true, "mean": true, "means": true, "ever": true,
	"anything": true, "something": true, "way": true, "folks": true, "get": true, "got": true,
	"go": true, "going": true, "did": true, "do": true, "does": true, "done": true, "make": true,
	"wont": true, "couldnt": true, "wouldnt": true, "shouldnt": true, "havent": true, "hasnt": true,
	"hadnt": true, "werent": true, "wasnt": true, "aint": true, "ive": true, "youre": true, "theyre": true,
	"ngl": true, "fr": true, "smh": true, "wtf": true, "omg": true, "afaik": true, "iirc": true, "tbf": true,
	"rly": true, "prob": true, "def": true, "literally": true, "guess": true, "wondering": true, "curious": true,
	"yeah": true, "yea": true, "nah": true, "hmmm": true, "bro": true, "dude": true,
	"lemme": true, "gimme": true, "sup": true, "hiya": true, "cuz": true, "bc": true, "abt": true,
	"w": true, "wrt": true, "fyi": true, "quick": true, "question": true, "q": true,
}

// spelled expands chat spellings into the words they stand for.
var spelled = map[string]string{"ppl": "people", "kids": "children", "govt": "government", "gov": "government",
	"prez": "president", "pres": "president", "mins": "minutes", "hrs": "hours", "yrs": "years"}

// frameNouns name the kind of answer after "which"/"what": "which
// country" asks for a place and "country" is not a topic the answer must
// contain.
var frameNouns = map[string]answerType{
	"country": typePlace, "countries": typePlace, "city": typePlace, "town": typePlace, "state": typePlace,
	"place": typePlace, "region": typePlace, "location": typePlace, "venue": typePlace, "sea": typeName,
	"month": typeDate, "year": typeDate, "day": typeDate, "date": typeDate, "time": typeDate, "week": typeDate,
	"number": typeNumber, "percentage": typeNumber, "percent": typeNumber, "share": typeNumber, "amount": typeNumber,
	"person": typePerson, "guy": typePerson, "official": typePerson, "people": typePerson, "name": typeName,
	"app": typeName, "channel": typeName, "company": typeName, "outlet": typeName, "newspaper": typeName,
	"paper": typeName, "network": typeName, "platform": typeName, "mag": typeName, "magazine": typeName,
	"tv": typeName, "kind": typeAny, "type": typeAny, "sort": typeAny,
}

// personNouns after "how many" ask for a count of persons, whatever the
// articles call them.
var personNouns = map[string]bool{"people": true, "persons": true, "individuals": true, "folks": true, "humans": true}

// timeUnits make "how many days" a duration.
var timeUnits = map[string]bool{"hour": true, "hours": true, "day": true, "days": true, "week": true, "weeks": true,
	"month": true, "months": true, "year": true, "years": true, "minute": true, "minutes": true}

var (
	// reQuoteQuestion finds "what did X say/think/call …", "how did X describe …".
	reQuoteQuestion = regexp.MustCompile(`\b(?:what|how)\s+(?:did|does|do|has|have|had|is|was)\s+(.{2,40}?)\s+(say|said|think|thought|call|describe|tell|told|claim|mean|react|respond|feel|label|dub|reckon)\b`)
	reGreeting      = regexp.MustCompile(`(?i)^\s*(hi+|hello+|hey+|yo|sup|hiya|howdy|good (morning|afternoon|evening)|help|\?|/?help me|what can you do|what do you do|how do (i|you) use (this|you|it)|commands?)\s*[!.?]*\s*$`)
	reSummary       = regexp.MustCompile(`(?i)\b(tl;?dr|tldr|summar(y|ise|ize)|sum (it )?up|recap|overview|what(')?s (new|up|happening|going on)|whats (new|up|happening|going on)|any (news|updates?)|latest( news| on)?|what happened|what'?s the (news|story|situation)|catch me up|fill me in|gist|did they agree on anything|main points)\b`)
)

// parseQuestion reads a question.
func (s *Supporter) parseQuestion(q string) question {
	pq := question{raw: q}
	if reGreeting.MatchString(q) {
		pq.greeting = true
		return pq
	}
	pq.summary = reSummary.MatchString(q)
	pq.figures = figuresIn(stripMarkdown(q))
	quoteVerb := ""
	if m := reQuoteQuestion.FindStringSubmatch(strings.ToLower(q)); m != nil {
		for _, w := range retrieval.Words(m[1]) {
			if !retrieval.IsStopWord(w) && !chatWords[w] && !titleWord[w] {
				pq.speakers = append(pq.speakers, retrieval.Stem(w))
			}
		}
		quoteVerb = m[2]
		if len(pq.speakers) > 0 {
			pq.typ = typeQuote
		}
	}
	words := retrieval.Words(stripMarkdown(q))
	for i, w := range words {
		if x, ok := spelled[w]; ok {
			words[i] = x
		}
	}
	proper := properWords(q)
	skip := map[int]bool{}
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch w {
		case "who", "whom", "whose", "whos":
			setType(&pq, typePerson)
		case "where", "wheres":
			setType(&pq, typePlace)
		case "when", "whens":
			setType(&pq, typeDate)
		case "why":
			setType(&pq, typeReason)
		case "how":
			switch next {
			case "long":
				setType(&pq, typeDuration)
				skip[i+1] = true
			case "many", "much":
				skip[i+1] = true
				pq.count = next == "many"
				// "how much of Ukraine": a share, not a count.
				pq.share = next == "much" && i+2 < len(words) && words[i+2] == "of"
				pq.partitive = pq.count && i+2 < len(words) && words[i+2] == "of"
				if i+2 < len(words) && timeUnits[words[i+2]] {
					setType(&pq, typeDuration)
					skip[i+2] = true
				} else if i+2 < len(words) && personNouns[words[i+2]] {
					// "how many people died": a count of whoever; the
					// articles say "individuals", "civilians", "children".
					setType(&pq, typeNumber)
					skip[i+2] = true
				} else {
					setType(&pq, typeNumber)
					pq.focus = s.focusAfter(words, i+2, skip)
				}
			case "old":
				setType(&pq, typeNumber)
				pq.focus = append(pq.focus, s.word("age", false))
				skip[i+1] = true
			case "come":
				setType(&pq, typeReason)
				skip[i+1] = true
			case "big", "large", "tall", "far", "high", "fast":
				setType(&pq, typeNumber)
				pq.focus = append(pq.focus, s.word(next, false))
			}
		case "which", "what", "whats", "wat", "wut":
			// "which sea", "what number round", "which tv channel".
			for j := i + 1; j < len(words) && j <= i+3; j++ {
				t, ok := frameNouns[words[j]]
				if !ok {
					if retrieval.IsStopWord(words[j]) || chatWords[words[j]] {
						continue
					}
					break
				}
				setType(&pq, t)
				skip[j] = true
			}
		case "reason":
			setType(&pq, typeReason)
			skip[i] = true
		}
		if (w == "percent" || w == "percentage") && i > 0 && (words[i-1] == "what" || words[i-1] == "which") {
			skip[i] = true
		}
	}
	for i, w := range words {
		if w == quoteVerb {
			continue // the question's frame: how it asks, not what
		}
		if skip[i] || retrieval.IsStopWord(w) || chatWords[w] || frameWord(w) {
			continue
		}
		pq.words = append(pq.words, s.word(w, proper[w]))
	}
	return pq
}

// SearchText is the question as a search query: chat filler ("rn",
// "pls", "lol") and the noun of a question frame ("which state", "what
// year") removed, chat spellings expanded ("ppl" → "people"), so the
// retrievers rank passages by what is asked about. Capitalisation is kept
// for the keyword weighting of names.
func SearchText(q string) string {
	toks := strings.Fields(q)
	out := make([]string, 0, len(toks))
	frame := false
	for _, tok := range toks {
		ws := retrieval.Words(tok)
		if len(ws) != 1 {
			frame = false
			out = append(out, tok)
			continue
		}
		w := ws[0]
		switch {
		case w == "which" || w == "what" || w == "whats" || w == "wat":
			frame = true
			out = append(out, tok)
			continue
		case frame && frameNouns[w] != typeAny && !strings.ContainsAny(tok, ".?!"):
			continue // "which state": the answer's kind, not its topic
		case chatWords[w] && !retrieval.IsStopWord(w):
			continue
		case spelled[w] != "":
			tok = spelled[w]
		}
		if !retrieval.IsStopWord(w) {
			frame = false
		}
		out = append(out, tok)
	}
	if len(out) == 0 {
		return q
	}
	return strings.Join(out, " ")
}

// setType keeps the first type a question names ("who ... when" asks who).
func setType(q *question, t answerType) {
	if q.typ == typeAny {
		q.typ = t
	}
}

// frameWord are the question's own words: they say how it asks, not what.
func frameWord(w string) bool {
	switch w {
	case "happened", "happen", "happens", "happening", "tldr", "tl", "dr", "summary", "summarize", "summarise",
		"recap", "latest", "news", "update", "updates", "new", "info":
		return true
	}
	return false
}

// focusAfter returns what "how many" counts: the first two content words
// after it ("how many Ukrainian children" → ukrainian, children), either
// of which may name it.
func (s *Supporter) focusAfter(words []string, i int, skip map[int]bool) []word {
	var out []word
	for ; i < len(words) && len(out) < 2; i++ {
		w := words[i]
		if retrieval.IsStopWord(w) || chatWords[w] {
			if len(out) > 0 {
				break
			}
			continue
		}
		if _, isNum := cardinal(w); isNum {
			continue
		}
		out = append(out, s.word(w, false))
	}
	return out
}

func (s *Supporter) word(w string, proper bool) word {
	wd := word{surface: w, stem: retrieval.Stem(w), lemma: s.lex.Lemma(w), proper: proper, lx: s.lex.Lookup(w)}
	if _, ok := cardinal(w); ok || isDigits(w) {
		wd.figure = true
	}
	return wd
}

var (
	reMonthDay     = regexp.MustCompile(`(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b(1[89]\d\d|20\d\d)\b|\b(yesterday|today|tomorrow|tonight|next (week|month|year)|last (week|month|year)|end of (the )?(month|year|week)|this (week|month|year)|earlier this|later this|christmas|new year)\b`)
	reReason       = regexp.MustCompile(`(?i)\b(because|due to|as a result|in response|in retaliation|retaliat\w*|amid|so that|in order to|aimed at|aims? to|reason|caused?|owing to|following|after|since|over|for|to (stop|end|secure|prevent|protect|force|pressure))\b`)
	reDurationUnit = regexp.MustCompile(`(?i)\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few|a couple of)[- ](hours?|days?|weeks?|months?|years?|minutes?)\b|\b(lengthy|hours-long|day-long|all day|overnight)\b`)
	rePersonRole   = regexp.MustCompile(`\b(envoy|minister|secretary|president|spokes\w+|aide|adviser|advisor|negotiator|chief|head|leader|representative|official|chancellor|premier)\b`)
)

// hasType reports whether sentence t (raw text) holds a fact of the asked
// type that the question itself does not already name.
func hasType(typ answerType, t *text, q *question) bool {
	switch typ {
	case typeNumber:
		// "how many missiles": a count of missiles, not of the victims
		// the same sentence counts. A year is a date, and a figure the
		// question names ("the 20-point plan") is not its answer.
		for _, f := range t.figures {
			if f.year || q.names(f) || q.share && f.kind != shareFigure {
				continue
			}
			if !q.count {
				return true
			}
			if f.kind == ordinalFigure && len(q.focus) > 0 && countsFocus(f, q.focus) {
				return true // "how many rounds": "the sixth round"
			}
			if f.kind != cardinalFigure || f.year {
				continue
			}
			if len(q.focus) == 0 || countsFocus(f, q.focus) || q.partitive {
				return true
			}
		}
		return false
	case typeDuration:
		return reDurationUnit.MatchString(t.raw)
	case typeDate:
		return reMonthDay.MatchString(t.raw)
	case typeReason:
		return reReason.MatchString(t.raw)
	case typePerson:
		return newName(t, q) || rePersonRole.MatchString(strings.ToLower(t.raw))
	case typePlace:
		// A place the sentence puts something in, that the question
		// does not name: "in Florida".
		asked := map[string]bool{}
		for _, w := range q.words {
			asked[w.stem] = true
		}
		for _, p := range t.places {
			if !asked[p] && !titleWord[p] {
				return true
			}
		}
		return false
	case typeName:
		return newName(t, q)
	case typeQuote:
		for _, sp := range q.speakers {
			if slices.Contains(t.speakers, sp) {
				return true
			}
		}
		// An unattributed sentence that names the person with a verb of
		// speech ("Trump described those discussions as …").
		if len(t.speakers) == 0 && reSpeechVerb.MatchString(t.raw) {
			for _, sp := range q.speakers {
				if t.stems[sp] {
					return true
				}
			}
		}
		return false
	}
	return true
}

// names reports whether the question itself states figure f's value.
func (q *question) names(f figure) bool {
	for _, g := range q.figures {
		if g.value == f.value {
			return true
		}
	}
	return false
}

// countsFocus reports whether figure f counts what the question asks about.
func countsFocus(f figure, focus []word) bool {
	for _, w := range focus {
		for _, n := range f.nouns {
			if n == w.stem || n == unitStem(w.surface) {
				return true
			}
		}
	}
	return false
}

var (
	reSpeechVerb = regexp.MustCompile(`(?i)\b` + speechVerbs + `|\b(?:call(?:ed|ing)?|label(?:l?ed|l?ing)?|dismiss(?:ed)?|describ(?:ed|ing)|view(?:ed|s)?|consider(?:ed|s)?|hope[sd]?|want(?:s|ed)?)\b`)
)

// newName reports whether t names something (a capitalised word inside the
// sentence) the question does not.
func newName(t *text, q *question) bool {
	asked := map[string]bool{}
	for _, w := range q.words {
		asked[w.stem] = true
	}
	for _, w := range t.words {
		if w.proper && !asked[w.stem] && !titleWord[w.surface] {
			return true
		}
	}
	return false
}

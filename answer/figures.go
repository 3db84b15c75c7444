package answer

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/talkbot/talkbot/retrieval"
)

// Number sense for the support model: a figure is a value of a kind (a
// count, an ordinal, a share) and the words it counts, so "five hours"
// backs "5 hours", "a quarter" backs "25%", "fourth" does not back "four",
// and "12 arrested" does not back "12 released".

type figureKind int

const (
	cardinalFigure figureKind = iota
	ordinalFigure
	shareFigure // a percentage or a fraction, in percent
)

type figure struct {
	kind  figureKind
	value float64
	text  string   // as written, for messages
	nouns []string // stems of the words it counts ("hour", "arrest")
	said  []string // the same words as written, for the lexicon
	year  bool     // a year: a date, which counts nothing
}

var cardinals = map[string]float64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "thousand": 1000,
	"million": 1e6, "billion": 1e9, "trillion": 1e12,
}

var ordinals = map[string]float64{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
	"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
	"twentieth": 20,
}

// fractions in percent; "a fifth" and "one-fifth" are shares, "fifth" alone
// an ordinal.
var fractions = map[string]float64{
	"half": 50, "third": 100.0 / 3, "thirds": 100.0 / 3, "quarter": 25, "quarters": 25, "fifth": 20,
	"fifths": 20, "sixth": 100.0 / 6, "tenth": 10, "tenths": 10,
}

var scales = map[string]float64{"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "bn": 1e9}

// units a lone "one" counts, so "one day" is a figure and "one of the
// options" is not.
var oneUnits = map[string]bool{
	"hour": true, "day": true, "week": true, "month": true, "year": true, "minut": true, "round": true,
	"percent": true, "million": true, "billion": true, "thousand": true, "time": true, "meet": true,
}

var romans = map[string]float64{"i": 1, "ii": 2, "iii": 3, "iv": 4}

var reOrdinalDigits = regexp.MustCompile(`^(\d+)(st|nd|rd|th)$`)

// cardinal returns the value of a number word or digits.
func cardinal(w string) (float64, bool) {
	if v, ok := cardinals[w]; ok {
		return v, true
	}
	if isDigits(w) {
		v, err := strconv.ParseFloat(w, 64)
		return v, err == nil
	}
	return 0, false
}

// figuresIn reads the figures of plain text.
func figuresIn(plain string) []figure {
	ws := retrieval.Words(strings.NewReplacer("%", " percent ", "per cent", "percent").Replace(plain))
	var out []figure
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		next := func(k int) string {
			if i+k < len(ws) {
				return ws[i+k]
			}
			return ""
		}
		var f figure
		consumed := 0
		switch {
		case reOrdinalDigits.MatchString(w):
			v, _ := strconv.ParseFloat(reOrdinalDigits.FindStringSubmatch(w)[1], 64)
			f = figure{kind: ordinalFigure, value: v, text: w}
		case (w == "a" || w == "one" || cardinals[w] > 1 && cardinals[w] < 10) && fractions[next(1)] > 0 && next(1) != "second":
			n := 1.0
			if w != "a" && w != "one" {
				n = cardinals[w]
			}
			f = figure{kind: shareFigure, value: n * fractions[next(1)], text: w + " " + next(1)}
			consumed = 1
		case w == "half" && (i == 0 || ws[i-1] != "a" && ws[i-1] != "one"):
			f = figure{kind: shareFigure, value: 50, text: w}
		case ordinals[w] > 0:
			f = figure{kind: ordinalFigure, value: ordinals[w], text: w}
		case romans[w] > 0 && i > 0 && ws[i-1] == "war":
			// "World War II" is not "World War I".
			f = figure{kind: ordinalFigure, value: romans[w], text: w}
		default:
			v, ok := cardinal(w)
			if !ok || w == "hundred" || w == "thousand" || w == "million" || w == "billion" || w == "trillion" || w == "dozen" && i > 0 {
				continue
			}
			if w == "one" && !oneUnits[retrieval.Stem(next(1))] {
				continue
			}
			text := w
			// "19 percent", "3 million", "twenty-five".
			for {
				n := next(consumed + 1)
				if s, ok := scales[n]; ok {
					v *= s
					text += " " + n
					consumed++
					continue
				}
				if cv, ok := cardinals[n]; ok && cv < 10 && v >= 20 && v < 100 && math.Mod(v, 10) == 0 && !isDigits(w) {
					v += cv
					text += "-" + n
					consumed++
					continue
				}
				break
			}
			f = figure{kind: cardinalFigure, value: v, text: text, year: isDigits(w) && len(w) == 4 && v >= 1800 && v <= 2100}
			if next(consumed+1) == "percent" {
				f.kind = shareFigure
				f.text += "%"
				consumed++
			}
		}
		// The words it counts: the next content words up to three.
		for k := consumed + 1; k <= consumed+3 && i+k < len(ws); k++ {
			n := ws[i+k]
			if _, isNum := cardinal(n); isNum || ordinals[n] > 0 {
				break
			}
			if retrieval.IsStopWord(n) || n == "percent" || n == "square" || n == "sq" {
				if len(f.nouns) > 0 {
					break
				}
				continue
			}
			f.nouns = append(f.nouns, unitStem(n))
			f.said = append(f.said, n)
		}
		out = append(out, f)
		i += consumed
	}
	return out
}

// sameValue compares two figures; shares match within half a point, so
// "a fifth" backs "20%" and "about 20%", but not "19.3%".
func sameValue(a, b figure) bool {
	if a.kind != b.kind {
		return false
	}
	if a.kind == shareFigure {
		return math.Abs(a.value-b.value) <= 0.5
	}
	return a.value == b.value
}

// figuresBacked reports whether every figure of a claim has a figure of the
// same value and kind in the window, counting the same thing when both say
// what they count. It returns the first figure that is not backed.
func (s *Supporter) figuresBacked(claim []figure, window []*text) (string, bool) {
	for _, f := range claim {
		ok := false
		for _, t := range window {
			for _, g := range t.figures {
				if sameValue(f, g) && s.countsSame(f, g, t) {
					ok = true
				}
			}
		}
		if !ok {
			return f.text, false
		}
	}
	return "", true
}

// units are what figures measure; two different units never count the
// same thing ("two days" is not "two weeks").
var units = map[string]string{
	"hour": "hour", "day": "day", "week": "week", "month": "month", "year": "year", "minut": "minute",
	"second": "second", "km": "km", "kilomet": "km", "kilometr": "km", "mile": "mile", "meter": "m", "metr": "m",
	"percent": "percent", "euro": "euro", "dollar": "dollar", "usd": "dollar", "eur": "euro", "point": "point",
	"round": "round", "time": "time",
}

// unitStem stems a counted word, joining unit spellings ("km", "kilometres").
func unitStem(w string) string {
	st := retrieval.Stem(w)
	if u, ok := units[st]; ok {
		return u
	}
	return st
}

func isUnit(st string) bool {
	for _, u := range units {
		if u == st {
			return true
		}
	}
	return false
}

// countsSame reports whether f (a claim's) and g (the evidence's, in
// sentence t) count the same thing. Without positive evidence of a
// mismatch it gives the benefit of the doubt, since a paraphrase
// ("eight people killed" for "deaths of eight individuals") rarely
// repeats the counted word: a mismatch is two different units, or the
// claim's counted word attached to another figure of the same sentence
// ("6,000 children taken" where 19,000 were taken and 6,000 placed).
func (s *Supporter) countsSame(f, g figure, t *text) bool {
	if len(f.nouns) == 0 || f.year || g.year {
		return true
	}
	for i, n := range f.nouns {
		for j, m := range g.nouns {
			if n == m || s.similar(s.lex.Lookup(f.said[i]), s.lex.Lookup(g.said[j])) >= matchSynonym {
				return true
			}
		}
	}
	if isUnit(f.nouns[0]) {
		// A measure must be the same measure: "two weeks" needs weeks.
		return len(g.nouns) == 0 && t.stems[f.nouns[0]] || len(g.nouns) > 0 && !isUnit(g.nouns[0]) && t.stems[f.nouns[0]]
	}
	for _, h := range t.figures {
		if sameValue(h, g) {
			continue
		}
		for _, m := range h.nouns {
			if m == f.nouns[0] {
				return false
			}
		}
	}
	return true
}

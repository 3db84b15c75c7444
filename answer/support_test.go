package answer

import (
	"context"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/retrieval"
)

// One table-driven case per mechanism of the support model, each judged
// the way the LLM citation check judges: a claim against the passages it
// cites.
func TestSupportMechanisms(t *testing.T) {
	t.Parallel()
	passages := []string{
		"Witkoff met Putin in Moscow for about five hours. The Kremlin said no compromise was reached.",
		"Russia controls about one-fifth of Ukraine's territory. Police said 12 people were arrested and later released on Sunday.",
		"The talks in Florida lasted two days. It was the fourth round of negotiations in a month.",
		"Kremlin spokesman Dmitry Peskov spoke to reporters in Moscow. He said the talks were useful. Umerov said Ukraine is optimistic.",
		"The talks started on Sunday in Miami. Putin picked Dmitriev as his envoy.",
		"The European Union agreed to phase out all long-term Russian gas imports by 2027.",
	}
	hits := passageHits(passages...)
	sp := defaultSupporter()
	cases := []struct {
		mechanism, claim string
		cite             int // 1-based passage cited
		want             bool
	}{
		{"same words", "Witkoff met Putin for about five hours.", 1, true},
		{"word forms: irregular verb", "Witkoff meets Putin for five hours.", 1, true},
		{"filler is not content", "Based on the passages, Witkoff met Putin for five hours.", 1, true},
		{"invented name", "Witkoff met Xi Jinping for five hours.", 1, false},
		{"number word backs digits", "Witkoff met Putin for 5 hours.", 1, true},
		{"wrong figure", "Witkoff met Putin for seven hours.", 1, false},
		{"fraction backs percentage", "Russia controls about 20% of Ukraine's territory.", 2, true},
		{"fraction is not another percentage", "Russia controls about 25% of Ukraine's territory.", 2, false},
		{"ordinal is not a count", "There have been four rounds of negotiations in a month.", 3, false},
		{"ordinal backs ordinal", "It was the 4th round of negotiations.", 3, true},
		{"figure goes with its noun", "Police said 12 people were released.", 2, true},
		{"figure with the wrong noun", "The talks in Florida lasted two weeks.", 3, false},
		{"negation dropped", "The Kremlin said a compromise was reached.", 1, false},
		{"negation kept", "The Kremlin said no compromise was reached.", 1, true},
		{"speaker swapped", "Umerov said the talks were useful.", 4, false},
		{"he said resolved to the person before", "Peskov said the talks were useful.", 4, true},
		{"place swapped", "The talks started on Sunday in Geneva.", 5, false},
		{"antonym", "Umerov said Ukraine is pessimistic.", 4, false},
		{"antonym inside a compound", "The EU agreed to phase out short-term Russian gas imports by 2027.", 6, false},
		{"same words, no antonym", "The EU agreed to phase out long-term Russian gas imports by 2027.", 6, true},
		{"non-adjacent sentences combine", "Witkoff met Putin for five hours, and the Kremlin said no compromise was reached.", 1, true},
	}
	for _, c := range cases {
		t.Run(c.mechanism, func(t *testing.T) {
			t.Parallel()
			ev := sp.newEvidence(hits)
			claim := sp.analyse(c.claim, nil)
			v, _ := ev.judgeAgainst(sp, &claim, []int{c.cite - 1})
			if got := v.supported(SupportThreshold); got != c.want {
				t.Errorf("%q against passage %d: supported=%v (score %.2f, missing %q, conflict %q), want %v",
					c.claim, c.cite, got, v.score, v.missing, v.conflict, c.want)
			}
		})
	}
}

// The LLM citation check, one case per behaviour a reader sees.
func TestCitationCheckBehaviours(t *testing.T) {
	t.Parallel()
	hits := passageHits(citePassages...)
	cases := []struct {
		name, reply, want string
		recited           int
	}{
		{"markers stay per clause",
			"Russia controls 19.3% of Ukraine [2], while Witkoff met Putin for five hours [1].",
			"Russia controls 19.3% of Ukraine [1], while Witkoff met Putin for five hours [2].", 0},
		{"a true sentence with the wrong citation is re-cited",
			"A missile attack on Odesa killed eight people [1].",
			"A missile attack on Odesa killed eight people [1].", 1},
		{"an out-of-range marker is replaced by the supporting passage",
			"Russia controls 19.3% of Ukraine [9].",
			"Russia controls 19.3% of Ukraine [1].", 1},
		{"a Sources trailer line is removed",
			"Witkoff met Putin for five hours [1].\nSources: [1], [2]",
			"Witkoff met Putin for five hours [1].", 0},
		{"a References block is removed",
			"Witkoff met Putin for five hours [1].\n\n**References:**\n[1] Article 0\n[2] Article 1",
			"Witkoff met Putin for five hours [1].", 0},
		{"markers after the full stop, list style",
			"Witkoff met Putin for five hours.[1, 2]",
			"Witkoff met Putin for five hours [1].", 0},
		{"a short direct answer stays before its supported sentence",
			"No. The Kremlin said no compromise was reached [1].",
			"No. The Kremlin said no compromise was reached [1].", 0},
		{"an uncited true sentence gets its citation",
			"No. The Kremlin said no compromise was reached.",
			"No. The Kremlin said no compromise was reached [1].", 1},
		{"bold is kept but does not hide words",
			"Witkoff met Putin for **five hours** [1].",
			"Witkoff met Putin for **five hours** [1].", 0},
		{"a falsehood in the passage's own words is removed",
			"Witkoff met Putin for five hours [1]. The Kremlin said a compromise was reached [1].",
			"Witkoff met Putin for five hours [1].", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := verifyCitations(c.reply, hits)
			if got.Text != c.want || got.Recited != c.recited {
				t.Errorf("got %q (re-cited %d), want %q (re-cited %d)", got.Text, got.Recited, c.want, c.recited)
			}
		})
	}
}

// Question understanding: the asked type, frame words and chat filler out
// of the content, the focus noun kept.
func TestParseQuestion(t *testing.T) {
	t.Parallel()
	sp := defaultSupporter()
	cases := []struct {
		q       string
		typ     answerType
		content string // stems of content words, space-separated
		focus   string
	}{
		{"which country hosted the talks", typePlace, "host talk", ""},
		{"what month were the last direct talks", typeDate, "last direct talk", ""},
		{"how long did the trip run", typeDuration, "trip run", ""},
		{"how many drones hit kyiv rn", typeNumber, "drone hit kyiv", "drone hit"},
		{"who did putin send to miami pls", typePerson, "putin send miami", ""},
		{"why is moscow gonna hit ukrainian ports harder", typeReason, "moscow hit ukrain port harder", ""},
		{"what did trump call the moscow meeting", typeQuote, "trump moscow meet", ""},
		{"how many ppl died in odesa", typeNumber, "die odesa", ""},
		{"how many drones did russia launch", typeNumber, "drone russia launch", "drone"},
		{"how many ukrainian kids were taken", typeNumber, "ukrain children take", "ukrain children"},
		{"where r the nato ministers meeting", typePlace, "nato minist meet", ""},
	}
	for _, c := range cases {
		q := sp.parseQuestion(c.q)
		var content, focus []string
		for _, w := range q.words {
			content = append(content, w.stem)
		}
		for _, w := range q.focus {
			focus = append(focus, w.stem)
		}
		if q.typ != c.typ || strings.Join(content, " ") != c.content || strings.Join(focus, " ") != c.focus {
			t.Errorf("%q: type %v content %q focus %q; want %v %q %q", c.q, q.typ, strings.Join(content, " "),
				strings.Join(focus, " "), c.typ, c.content, c.focus)
		}
	}
}

// Offline answers to questions typed as people type them.
func TestExtractDiscordStyle(t *testing.T) {
	t.Parallel()
	ix := seedIndex(t)
	eng := &Engine{Index: ix}
	cases := []struct {
		q     string
		want  string // in the answer; "" means not found
		found bool
	}{
		{"how long did witkoff n putin talk for", "five", true},
		{"how many ppl died in the odesa strike", "eight", true},
		{"where was zelensky born", "", false},
		{"who's the mayor of miami", "", false},
		{"what happened in odesa", "Odesa", true},
		{"tl;dr?", "[1]", true},
		{"hi", "/help", false},
		{"help", "/help", false},
		// A text "says" things too: not a question about a speaker.
		{"what does the peace plan say about security guarantees", "security guarantees", true},
	}
	for _, c := range cases {
		a, err := eng.Ask(t.Context(), Request{Question: c.q})
		if err != nil {
			t.Fatal(err)
		}
		if a.Found != c.found || !strings.Contains(a.Text, c.want) {
			t.Errorf("%q: found=%v %q; want found=%v containing %q", c.q, a.Found, a.Text, c.found, c.want)
		}
		if a.Found {
			checkCitations(t, a)
		}
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{{"zelenksy", "zelensky", 1}, {"negotiatons", "negotiations", 1}, {"putin", "putin", 0}, {"kyiv", "moscow", 3}} {
		if got := editDistance(c.a, c.b, 2); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	_ = retrieval.Words
}

// The note tells a reader the model's answer was changed, and only then; a
// plain decline is our not-found answer without a note.
func TestLLMNoteOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		reply    func(req openai.ChatCompletionRequest) string
		found    bool
		note     string
		contains string
	}{
		{"plain decline", func(openai.ChatCompletionRequest) string { return "The articles don't cover that." }, false, "", NotFoundText},
		{"decline with a stray marker", func(openai.ChatCompletionRequest) string {
			return "The articles don't say who will win [1]."
		}, false, "", NotFoundText},
		{"all supported", func(req openai.ChatCompletionRequest) string {
			return "Putin was represented at the Miami talks by his special envoy, Kirill Dmitriev [" + citing(req, "Kirill Dmitriev") + "]."
		}, true, "", "Dmitriev"},
		{"an invented sentence removed", func(req openai.ChatCompletionRequest) string {
			n := citing(req, "Kirill Dmitriev")
			return "Putin was represented at the Miami talks by his special envoy, Kirill Dmitriev [" + n + "]. " +
				"Dmitriev signed a ceasefire with Witkoff in Geneva [" + n + "]."
		}, true, checkedNote, "Dmitriev"},
		{"a short No. kept before its uncited, supported sentence", func(openai.ChatCompletionRequest) string {
			return "No. The Kremlin reported that no compromise was reached concerning the draft US peace plan."
		}, true, checkedNote, "No. The Kremlin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeLLM(t, c.reply)
			e := newEngine(t, f, 0, 5*time.Second)
			a, err := e.Ask(context.Background(), Request{Question: "Who represented Putin at the Miami talks?"})
			if err != nil {
				t.Fatal(err)
			}
			if a.Found != c.found || a.Note != c.note || !strings.Contains(a.Text, c.contains) {
				t.Errorf("found=%v note=%q text=%q; want found=%v note=%q containing %q", a.Found, a.Note, a.Text, c.found, c.note, c.contains)
			}
		})
	}
}

// Word forms and synonyms from the lexicon support true paraphrases, and
// a follow-up sentence with the asked fact is quoted with its neighbour.
func TestSupportByMeaning(t *testing.T) {
	t.Parallel()
	hits := passageHits(
		"The talks started on Sunday in Miami. Putin picked Dmitriev as his envoy.",
		"Negotiators reached an agreement on prisoner exchanges.",
	)
	sp := defaultSupporter()
	ev := sp.newEvidence(hits)
	for _, c := range []struct {
		claim string
		cite  int
		want  bool
	}{
		{"The talks began on Sunday in Miami.", 0, true},          // synonym, irregular past
		{"Putin chose Dmitriev as his envoy.", 0, true},           // synonym
		{"The negotiations started on Sunday in Miami.", 0, true}, // talks ~ negotiations
		{"Negotiators agreed on prisoner exchanges.", 1, true},    // derivation
		{"Putin picked Witkoff as his envoy.", 0, false},          // a name the passages lack
	} {
		claim := sp.analyse(c.claim, nil)
		v, _ := ev.judgeAgainst(sp, &claim, []int{c.cite})
		if got := v.supported(SupportThreshold); got != c.want {
			t.Errorf("%q: supported=%v (score %.2f %q %q), want %v", c.claim, got, v.score, v.missing, v.conflict, c.want)
		}
	}
}

// "He" at the start of an answer is the person the question names.
func TestReplyPronounIsTheQuestionsPerson(t *testing.T) {
	t.Parallel()
	hits := passageHits("Umerov shared insights via the Telegram messaging platform, highlighting the collaborative nature of the talks.")
	sp := defaultSupporter()
	for _, c := range []struct {
		question, reply string
		kept            bool
	}{
		{"How did Umerov share his update?", "He posted it on Telegram [1].", true},
		{"How did Umerov share his update?", "He posted it on Facebook [1].", false}, // a name the passage lacks
	} {
		got := sp.verifyCitations(c.question, c.reply, hits)
		if (got.Kept > 0) != c.kept {
			t.Errorf("%q / %q: kept %d (%q), want kept=%v", c.question, c.reply, got.Kept, got.Text, c.kept)
		}
	}
}

// The sentence that matches the question best may lack the asked-for fact
// that the next sentence holds; the answer quotes both.
func TestExtractTakesTheNeighbourWithTheAskedFact(t *testing.T) {
	t.Parallel()
	hits := passageHits("Witkoff met Putin in Moscow on Tuesday at the Kremlin. The meeting lasted five hours.")
	for _, c := range []struct{ q, want string }{
		{"how long did witkoff meet putin", "five hours"},
		{"where did witkoff meet putin", "Moscow"},
	} {
		a := defaultSupporter().Extract(c.q, retrieval.Result{Hits: hits})
		if !a.Found || !strings.Contains(a.Text, c.want) {
			t.Errorf("%q: found=%v %q; want %q", c.q, a.Found, a.Text, c.want)
		}
	}
}

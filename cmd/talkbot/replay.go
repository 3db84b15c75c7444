package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
)

// replySetJSON is the built-in LLM-reply set: replies written, acting as the
// model, to the exact prompts talkbot sends, every sentence labelled.
//
//go:embed testdata/replies.json
var replySetJSON []byte

// Reply styles and planted defect types of the reply set.
const (
	styleStrong = "strong"
	styleSmall  = "small"

	defectInvented      = "invented"
	defectWrongCitation = "wrong-citation"
	defectOutOfRange    = "out-of-range"
	defectOwnWords      = "own-words"

	roleClaim   = ""        // a factual sentence (the default)
	roleDecline = "decline" // "the articles don't cover it"
	roleTrailer = "trailer" // "Sources: [1], [2]", not a claim
	roleFiller  = "filler"  // a short lead such as "No." or "It is disputed."
)

var defectTypes = []string{defectInvented, defectWrongCitation, defectOutOfRange, defectOwnWords}

// replySet is a file of labelled replies.
type replySet struct {
	About     string          `json:"about"`
	Questions []replyQuestion `json:"questions"`
}

// replyQuestion is one question with its replies. Passages names, by a
// distinctive quote of its text, every passage a reply cites or a label
// refers to, so the set survives retrieval changes: markers are rendered
// to the numbers of the prompt actually sent.
type replyQuestion struct {
	ID         string            `json:"id"`
	From       string            `json:"from"` // the eval-set question it comes from
	Question   string            `json:"question"`
	Answerable bool              `json:"answerable"`
	Disagree   bool              `json:"disagree,omitempty"`
	Facts      []string          `json:"facts"`
	Passages   map[string]string `json:"passages"`
	Replies    []labelledReply   `json:"replies"`
}

// labelledReply is one reply, sentence by sentence.
type labelledReply struct {
	Style   string `json:"style"`
	Planted bool   `json:"planted,omitempty"` // carries planted defects
	// Sentences are joined with a space; one starting with "\n" starts a line.
	Sentences []labelledSentence `json:"sentences"`
}

// labelledSentence is a sentence as the model writes it, with {key}
// standing for the number of the passage quoted as Passages[key].
type labelledSentence struct {
	Text string `json:"text"`
	// Support lists every passage key whose text truly supports the
	// sentence; empty for a falsehood.
	Support []string `json:"support,omitempty"`
	Defect  string   `json:"defect,omitempty"`
	Role    string   `json:"role,omitempty"`
}

func loadReplySet(path string) (replySet, error) {
	raw := replySetJSON
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return replySet{}, fmt.Errorf("reading reply set (name a JSON reply set, or give --replies alone for the built-in one): %w", err)
		}
		raw = b
	}
	var rs replySet
	if err := json.Unmarshal(raw, &rs); err != nil {
		return replySet{}, fmt.Errorf("parsing reply set: %w", err)
	}
	if len(rs.Questions) == 0 {
		return replySet{}, errors.New("reply set has no questions")
	}
	for _, q := range rs.Questions {
		for ri, r := range q.Replies {
			if r.Style != styleStrong && r.Style != styleSmall {
				return replySet{}, fmt.Errorf("%s reply %d: style %q is neither %q nor %q", q.ID, ri, r.Style, styleStrong, styleSmall)
			}
			for _, s := range r.Sentences {
				for _, k := range append(placeholderKeys(s.Text), s.Support...) {
					if _, ok := q.Passages[k]; !ok {
						return replySet{}, fmt.Errorf("%s reply %d: passage key %q is not in passages", q.ID, ri, k)
					}
				}
				if s.Defect != "" && !slices.Contains(defectTypes, s.Defect) {
					return replySet{}, fmt.Errorf("%s reply %d: unknown defect %q", q.ID, ri, s.Defect)
				}
				if !slices.Contains([]string{roleClaim, roleDecline, roleTrailer, roleFiller}, s.Role) {
					return replySet{}, fmt.Errorf("%s reply %d: unknown role %q", q.ID, ri, s.Role)
				}
			}
		}
	}
	return rs, nil
}

// placeholder is a passage reference {key} in a labelled sentence.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_-]+)\}`)

func placeholderKeys(s string) []string {
	var ks []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		ks = append(ks, m[1])
	}
	return ks
}

// squash lower-cases and collapses white space, so a quote is found in a
// passage whatever the line breaks.
func squash(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// passageIndex returns the index of the first passage that contains the
// quote, or -1.
func passageIndex(passages []string, quote string) int {
	q := squash(quote)
	for i, p := range passages {
		if strings.Contains(squash(p), q) {
			return i
		}
	}
	return -1
}

// supportSet is the set of passage indexes holding any of the keys' quotes:
// every passage of the prompt that truly supports the sentence.
func supportSet(passages []string, quotes map[string]string, keys []string) map[int]bool {
	set := map[int]bool{}
	for _, k := range keys {
		q := squash(quotes[k])
		for i, p := range passages {
			if strings.Contains(squash(p), q) {
				set[i] = true
			}
		}
	}
	return set
}

// renderSentence turns {key} into the passage's number in this prompt.
// unmappable is true when a cited passage is not in the prompt (retrieval
// changed): the marker is left out and the sentence is not scored.
func renderSentence(text string, passages []string, quotes map[string]string) (out string, unmappable bool) {
	out = placeholder.ReplaceAllStringFunc(text, func(m string) string {
		i := passageIndex(passages, quotes[m[1:len(m)-1]])
		if i < 0 {
			unmappable = true
			return "?"
		}
		return fmt.Sprint(i + 1)
	})
	if unmappable {
		out = strings.Join(strings.Fields(strings.NewReplacer("[?]", "", "?, ", "", ", ?", "").Replace(out)), " ")
	}
	return out, unmappable
}

// renderReply is the reply text the model "sends" for this prompt.
func renderReply(r labelledReply, passages []string, quotes map[string]string) string {
	var b strings.Builder
	for i, s := range r.Sentences {
		text, _ := renderSentence(s.Text, passages, quotes)
		if i > 0 && !strings.HasPrefix(text, "\n") {
			b.WriteByte(' ')
		}
		b.WriteString(text)
	}
	return b.String()
}

// replayServer is a local OpenAI-compatible chat server that answers each
// request with the labelled reply its model name selects, rendered against
// the passages of the prompt it received. It records every prompt.
type replayServer struct {
	set *replySet
	mu  sync.Mutex
	// prompts holds the user message received per model name; refused
	// lists requests it could not answer, which make the replay fail.
	prompts map[string]string
	refused []string
}

// refuse answers a request with an OpenAI-style error and records why.
func (s *replayServer) refuse(w http.ResponseWriter, status int, why string) {
	s.mu.Lock()
	s.refused = append(s.refused, why)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": why}})
}

// replyModel names the reply a request asks for: its question and index.
func replyModel(qi, ri int) string { return fmt.Sprintf("replay-%d-%d", qi, ri) }

var (
	sentPassage  = regexp.MustCompile(`(?s)<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>`)
	sentQuestion = regexp.MustCompile(`(?s)<question>\n(.*?)\n</question>`)
)

func (s *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		s.refuse(w, http.StatusNotFound, "only POST /v1/chat/completions is served")
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.refuse(w, http.StatusBadRequest, "request is not a chat completion: "+err.Error())
		return
	}
	var qi, ri int
	if _, err := fmt.Sscanf(req.Model, "replay-%d-%d", &qi, &ri); err != nil || qi < 0 || ri < 0 ||
		qi >= len(s.set.Questions) || ri >= len(s.set.Questions[qi].Replies) {
		s.refuse(w, http.StatusNotFound, fmt.Sprintf("no reply for model %q", req.Model))
		return
	}
	q := s.set.Questions[qi]
	user := ""
	for _, m := range req.Messages {
		if m.Role == openai.ChatMessageRoleUser {
			user = m.Content
		}
	}
	s.mu.Lock()
	s.prompts[req.Model] = user
	s.mu.Unlock()
	// The server recognises the question in the prompt, as a model reads it.
	got := sentQuestion.FindStringSubmatch(user)
	want := strings.NewReplacer("<", "‹", ">", "›").Replace(strings.Join(strings.Fields(q.Question), " "))
	if got == nil || got[1] != want {
		s.refuse(w, http.StatusBadRequest, fmt.Sprintf("%s: the prompt's question is not %q", q.ID, q.Question))
		return
	}
	var passages []string
	for _, m := range sentPassage.FindAllStringSubmatch(user, -1) {
		passages = append(passages, m[2])
	}
	text := renderReply(q.Replies[ri], passages, q.Passages)
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(openai.ChatCompletionResponse{
			ID: "replay", Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model,
			Choices: []openai.ChatCompletionChoice{{Message: openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: text}, FinishReason: openai.FinishReasonStop}},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	// Stream a few words per chunk, as a model does, so markers may be
	// split across chunks.
	words := strings.SplitAfter(text, " ")
	for i := 0; i < len(words); i += 3 {
		chunk := strings.Join(words[i:min(i+3, len(words))], "")
		b, _ := json.Marshal(openai.ChatCompletionStreamResponse{
			ID: "replay", Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: req.Model,
			Choices: []openai.ChatCompletionStreamChoice{{Delta: openai.ChatCompletionStreamChoiceDelta{Content: chunk}}},
		})
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// styleScores are the replay figures of one reply style.
type styleScores struct {
	Style   string `json:"style"`
	Replies int    `json:"replies"` // faithful replies
	// TrueSentences are the faithful replies' true claims; Kept those shown
	// with at least one marker and every marker on a passage supporting them.
	TrueSentences int     `json:"true_sentences"`
	KeptCorrect   int     `json:"kept_correctly_cited"`
	KeptRate      float64 `json:"kept_rate"`
	// Facts are the question's facts the faithful replies state; FactsKept
	// those the final answer still states.
	Facts     int `json:"key_facts"`
	FactsKept int `json:"key_facts_kept"`
	// Answerable faithful replies whose answer came out "not found".
	Answerable   int `json:"answerable"`
	LostNotFound int `json:"answerable_lost_to_not_found"`
	// Fallbacks are faithful replies replaced by an extractive answer.
	Fallbacks     int `json:"extractive_fallbacks"`
	Declines      int `json:"declines"`
	DeclinesKept  int `json:"declines_not_found"`
	TrailersShown int `json:"trailer_lines_shown"`
	// Defects and DefectsHandled count planted defects by type; handled
	// means removed, or (for a true sentence) re-cited correctly.
	Defects        map[string]int `json:"defects"`
	DefectsHandled map[string]int `json:"defects_handled"`
	// Unmappable sentences cite a passage the prompt no longer holds; they
	// are not scored.
	Unmappable int      `json:"unmappable"`
	Misses     []string `json:"misses,omitempty"`
}

func newStyleScores(style string) *styleScores {
	return &styleScores{Style: style, Defects: map[string]int{}, DefectsHandled: map[string]int{}}
}

// replayOutcome is how one labelled sentence fared in the final answer.
type replayOutcome struct {
	Shown   bool // the sentence is in the answer
	Cited   bool // with at least one marker
	Correct bool // every marker names a passage that supports it
}

// anyMarker matches a marker group, including the "[?]" of an unmappable one.
var anyMarker = regexp.MustCompile(`\[[\s\d,;?]*\]`)

// spaceBeforePunct is what a removed marker leaves: "Pokrovsk [1], but".
var spaceBeforePunct = regexp.MustCompile(`\s+([.,;:!?])`)

// normSentence is a sentence compared for identity: markers, bold and
// case gone, white space collapsed, end punctuation dropped.
func normSentence(s string) string {
	s = strings.NewReplacer("**", "", "__", "").Replace(s)
	s = anyMarker.ReplaceAllString(s, "")
	s = spaceBeforePunct.ReplaceAllString(s, "$1")
	s = squash(s)
	return strings.Trim(s, " .!?:;,")
}

// sameSentence reports whether an answer sentence is the labelled one,
// allowing the check to cut a preamble or the labelled sentence to be a
// clause the checker split off.
func sameSentence(label, shown string) bool {
	if label == shown {
		return true
	}
	if len(label) < 15 || len(shown) < 15 {
		return false
	}
	return strings.Contains(label, shown) || strings.Contains(shown, label)
}

// outcome finds a labelled sentence in the answer and judges its markers.
func outcome(a answer.Answer, text string, support map[int]bool) replayOutcome {
	label := normSentence(text)
	if label == "" {
		return replayOutcome{}
	}
	passageAt := map[string]int{}
	for i, h := range a.Hits {
		passageAt[h.Passage.ID] = i
	}
	cited := map[int]int{} // answer marker → hit index
	for _, c := range a.Citations {
		if i, ok := passageAt[c.Passage]; ok {
			cited[c.N] = i
		} else {
			cited[c.N] = -1
		}
	}
	for _, cs := range answer.ParseCitations(a.Text) {
		if !sameSentence(label, normSentence(cs.Text)) {
			continue
		}
		o := replayOutcome{Shown: true, Cited: len(cs.Markers) > 0, Correct: len(cs.Markers) > 0}
		for _, n := range cs.Markers {
			if i, ok := cited[n]; !ok || !support[i] {
				o.Correct = false
			}
		}
		return o
	}
	return replayOutcome{}
}

// scoreReply adds one replayed reply's figures to its style's scores.
func scoreReply(s *styleScores, q replyQuestion, r labelledReply, a answer.Answer) {
	passages := make([]string, len(a.Hits))
	for i, h := range a.Hits {
		passages[i] = h.Passage.Text()
	}
	replyText := ""
	if !r.Planted {
		s.Replies++
		replyText = renderReply(r, passages, q.Passages)
	}
	if a.Mode != answer.ModeLLM && !r.Planted {
		s.Fallbacks++
	}
	declined := false
	for _, ls := range r.Sentences {
		rendered, unmappable := renderSentence(ls.Text, passages, q.Passages)
		if unmappable {
			s.Unmappable++
			s.Misses = append(s.Misses, fmt.Sprintf("%s unmappable (cited passage not in the prompt): %s", q.ID, ls.Text))
			continue
		}
		switch ls.Role {
		case roleFiller:
			continue
		case roleDecline:
			declined = true
			continue
		case roleTrailer:
			if strings.Contains(a.Text, strings.TrimSpace(strings.SplitN(rendered, ":", 2)[0])+":") {
				s.TrailersShown++
			}
			continue
		}
		o := outcome(a, rendered, supportSet(passages, q.Passages, ls.Support))
		if ls.Defect != "" {
			s.Defects[ls.Defect]++
			handled := !o.Shown || len(ls.Support) > 0 && o.Correct
			if handled {
				s.DefectsHandled[ls.Defect]++
			} else {
				s.Misses = append(s.Misses, fmt.Sprintf("%s %s defect passed: %s", q.ID, ls.Defect, rendered))
			}
			continue
		}
		if r.Planted || len(ls.Support) == 0 {
			continue // true sentences are scored on the faithful replies
		}
		s.TrueSentences++
		if o.Correct {
			s.KeptCorrect++
		} else {
			why := "removed"
			if o.Shown {
				why = "shown with a wrong or no citation"
			}
			s.Misses = append(s.Misses, fmt.Sprintf("%s true sentence %s: %s", q.ID, why, rendered))
		}
	}
	if r.Planted {
		return
	}
	if declined && !q.Answerable {
		s.Declines++
		if !a.Found {
			s.DeclinesKept++
		}
		return
	}
	if q.Answerable {
		s.Answerable++
		if !a.Found {
			s.LostNotFound++
			s.Misses = append(s.Misses, fmt.Sprintf("%s answerable, came out not found: %s", q.ID, q.Question))
		}
		for _, f := range q.Facts {
			if !factHit(normSentence(replyText), f) {
				continue // the reply does not state it; nothing to keep
			}
			s.Facts++
			if factHit(a.Text, f) {
				s.FactsKept++
			} else {
				s.Misses = append(s.Misses, fmt.Sprintf("%s key fact %q lost", q.ID, f))
			}
		}
	}
}

// replay runs every reply of the set through the real Engine: real
// go-openai client, local server, real retrieval and citation check.
func replay(ctx context.Context, ix answer.Searcher, rs *replySet, log *slog.Logger) (map[string]*styleScores, map[string]string, error) {
	srv := &replayServer{set: rs, prompts: map[string]string{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("starting the local reply server: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	client := answer.NewOpenAIClient(answer.ClientOptions{BaseURL: "http://" + ln.Addr().String() + "/v1", Logger: log})
	scores := map[string]*styleScores{styleStrong: newStyleScores(styleStrong), styleSmall: newStyleScores(styleSmall)}
	for qi, q := range rs.Questions {
		for ri, r := range q.Replies {
			eng := &answer.Engine{Index: ix, LLM: answer.NewLLM(client, replyModel(qi, ri), 10*time.Second, log), Logger: log}
			a, err := eng.Ask(ctx, answer.Request{Question: q.Question})
			if err != nil {
				return nil, nil, fmt.Errorf("%s reply %d: %w", q.ID, ri, err)
			}
			srv.mu.Lock()
			refused := srv.refused
			srv.mu.Unlock()
			if len(refused) > 0 {
				// The Engine would quietly answer extractively; a replay
				// that did not replay must not print figures.
				return nil, nil, fmt.Errorf("%s reply %d: the local reply server refused: %s", q.ID, ri, refused[0])
			}
			scoreReply(scores[r.Style], q, r, a)
		}
	}
	for _, s := range scores {
		s.KeptRate = ratio(s.KeptCorrect, s.TrueSentences)
	}
	return scores, srv.prompts, nil
}

// cmdReplay is `talkbot eval --replies [FILE]`.
func cmdReplay(ctx context.Context, e *env, path string, asJSON, verbose, prompts bool) error {
	rs, err := loadReplySet(path)
	if err != nil {
		return err
	}
	ix, err := seedIndex(ctx)
	if err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	scores, sent, err := replay(ctx, ix, &rs, log)
	if err != nil {
		return err
	}
	if prompts {
		for qi, q := range rs.Questions {
			fmt.Fprintf(e.stdout, "=== %s %s\n%s\n", q.ID, q.Question, sent[replyModel(qi, 0)])
		}
		return nil
	}
	out := []*styleScores{scores[styleStrong], scores[styleSmall]}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{"prompt_version": answer.PromptVersion, "styles": out})
	}
	printReplayTable(e.stdout, rs, out, verbose)
	return nil
}

func printReplayTable(w io.Writer, rs replySet, all []*styleScores, verbose bool) {
	replies, defects := 0, 0
	for _, q := range rs.Questions {
		replies += len(q.Replies)
		for _, r := range q.Replies {
			for _, s := range r.Sentences {
				if s.Defect != "" {
					defects++
				}
			}
		}
	}
	fmt.Fprintf(w, "LLM-reply replay: %d questions, %d replies, %d planted defects; prompt %s\n", len(rs.Questions), replies, defects, answer.PromptVersion)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "metric\t")
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t", s.Style)
	}
	fmt.Fprintln(tw)
	row := func(name string, f func(*styleScores) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, s := range all {
			fmt.Fprintf(tw, "%s\t", f(s))
		}
		fmt.Fprintln(tw)
	}
	frac := func(n, d int) string { return fmt.Sprintf("%d/%d %.2f", n, d, ratio(n, d)) }
	row("true sentences kept, cited right", func(s *styleScores) string { return frac(s.KeptCorrect, s.TrueSentences) })
	row("key facts kept", func(s *styleScores) string { return frac(s.FactsKept, s.Facts) })
	row("answerable lost to not-found", func(s *styleScores) string { return fmt.Sprintf("%d/%d", s.LostNotFound, s.Answerable) })
	row("declines shown as not found", func(s *styleScores) string { return fmt.Sprintf("%d/%d", s.DeclinesKept, s.Declines) })
	row("faithful replies answered extractively", func(s *styleScores) string { return fmt.Sprintf("%d/%d", s.Fallbacks, s.Replies) })
	row("Sources: lines shown", func(s *styleScores) string { return fmt.Sprint(s.TrailersShown) })
	for _, d := range defectTypes {
		row(d+" removed or fixed", func(s *styleScores) string { return frac(s.DefectsHandled[d], s.Defects[d]) })
	}
	row("unmappable sentences", func(s *styleScores) string { return fmt.Sprint(s.Unmappable) })
	tw.Flush()
	if verbose {
		for _, s := range all {
			fmt.Fprintf(w, "\n%s misses:\n", s.Style)
			for _, m := range s.Misses {
				fmt.Fprintf(w, "  %s\n", m)
			}
		}
	}
}
